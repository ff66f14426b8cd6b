"""The township's one write path (township_app.casework.case_log): every origin of a case event folds,
appends and projects in one transaction, and what differs by origin stays where it is."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from sync import events as ev
from sync import fold
from sync.catalogue_rules import snapshot_of
from sync.errors import NotAllowed, NotFound
from sync.events import new_event, utc_now
from tests.support.results import (
    CLERK,
    FORWARDED_ITEM,
    PROMISED_ITEM,
    REVIEWER,
    Above,
    forwarded_case,
    register,
)
from township_app.casework import case_log, casework
from township_app.casework.case_log import Draft, Origin
from township_app.stores.relay_store import RelayStore
from township_app.stores.store import Store


def _head(store: Store) -> tuple[int, str]:
    device = store.device()
    return device["writer_seq"], device["last_hash"]


def _village_event(store: Store, case_id: str, event_type: str, payload: dict) -> ev.Event:
    """An event of a village PC's own chain, as the feed or a stick brings it."""
    return new_event(
        case_id=case_id,
        writer="village-pc",
        writer_seq=1,
        prev_hash=ev.GENESIS_HASH,
        actor="daiban",
        type=event_type,
        payload=payload,
        at=utc_now() + timedelta(seconds=5),
    )


def test_this_pcs_own_event_moves_its_chain_head_and_a_forward_goes_to_the_outbox(store):
    case_id = register(store, item_code=FORWARDED_ITEM)
    casework.accept_case(store, case_id, CLERK, utc_now())
    before = _head(store)
    draft = Draft(
        case_id,
        ev.FORWARDED,
        {"opinion": "同意上报。", "conclusion": "agree", "to_org": "370613"},
        "shenhe",
        utc_now(),
    )
    state = case_log.write_event(store, draft, Origin.OWN)
    written = store.case_events(case_id)[-1]
    assert state.state == fold.FORWARDED and store.case(case_id) == state
    assert _head(store) == (before[0] + 1, written.hash)
    assert written.prev_hash == before[1] and written.writer == store.device()["device_id"]
    assert [row["event_id"] for row in store.outbox_rows()] == [written.event_id]


def test_an_own_event_on_an_unknown_case_is_not_found_and_writes_nothing(store):
    before = (store.event_count(), _head(store))
    draft = Draft("no-such-case", ev.ACCEPTED, {}, "chuangkou", utc_now())
    with pytest.raises(NotFound, match="没有找到该办件"):
        case_log.write_event(store, draft, Origin.OWN)
    assert (store.event_count(), _head(store)) == before


def test_a_refused_own_event_writes_nothing(store):
    case_id = register(store, item_code=PROMISED_ITEM)
    before = (store.event_count(), _head(store), store.case(case_id))
    draft = Draft(case_id, ev.FORWARDED, {"opinion": "x", "conclusion": "agree"}, "x", utc_now())
    with pytest.raises(NotAllowed, match="不能「初审并上报」"):
        case_log.write_event(store, draft, Origin.OWN)
    assert (store.event_count(), _head(store), store.case(case_id)) == before


def test_centrals_event_keeps_its_own_chain_and_only_central_may_write_it(store):
    case_id = forwarded_case(store)
    head = _head(store)
    event = Above(store).decide(case_id)
    assert store.case(case_id).state == fold.DECIDED
    assert store.case_events(case_id)[-1] == event and _head(store) == head
    forged = _village_event(store, case_id, ev.RETURNED, {"missing": [{"name": "户口簿"}]})
    with pytest.raises(NotAllowed, match="只有上级审批单位"):
        case_log.write_event(store, forged, Origin.CENTRAL)


def test_another_devices_first_event_must_be_of_this_unit_and_its_scans_are_wanted(store):
    payload = casework_registered_payload(store, org_code="370613004", agency="370613004201")
    sha = "ab" * 32
    payload["materials"][0]["files"] = [
        {"sha256": sha, "size": 10, "media_type": "image/jpeg", "filename": "id.jpg"}
    ]
    head = _head(store)
    event = _village_event(store, "village-case", ev.REGISTERED, payload)
    state = case_log.write_event(store, event, Origin.FEED)
    assert state.agency_code == "370613004201" and store.case("village-case") == state
    assert _head(store) == head
    assert [row["sha256"] for row in RelayStore(store).wanted_blobs(10)] == [sha]
    other = casework_registered_payload(store, org_code="370611001", agency="370611001201")
    elsewhere = _village_event(store, "elsewhere", ev.REGISTERED, other)
    with pytest.raises(NotAllowed, match="不属于本单位"):
        case_log.write_event(store, elsewhere, Origin.FEED)
    assert store.case("elsewhere") is None


def test_a_relayed_event_the_rules_refuse_is_logged_and_skipped(store, caplog):
    case_id = register(store, item_code=PROMISED_ITEM)
    before = store.event_count()
    refused = _village_event(store, case_id, ev.FORWARDED, {"opinion": "x", "conclusion": "agree"})
    with caplog.at_level(logging.WARNING, logger="township_app.casework.case_log"):
        assert case_log.write_event(store, refused, Origin.RELAYED) is None
    assert store.event_count() == before
    assert f"relayed event {refused.event_id} not applied here: not_allowed" in caplog.text


def test_a_registration_reads_the_device_row_once(store, monkeypatch):
    reads = []
    device = Store.device
    monkeypatch.setattr(Store, "device", lambda self: reads.append(1) or device(self))
    register(store, item_code=PROMISED_ITEM)
    assert len(reads) == 1


def test_a_forward_reads_the_device_row_once(store, monkeypatch):
    case_id = register(store, item_code=FORWARDED_ITEM)
    casework.accept_case(store, case_id, CLERK, utc_now())
    reads = []
    device = Store.device
    monkeypatch.setattr(Store, "device", lambda self: reads.append(1) or device(self))
    casework.forward_case(
        store, case_id, opinion="同意上报。", conclusion="agree", actor=REVIEWER, now=utc_now()
    )
    assert len(reads) == 1


def test_the_kept_figures_and_task_rows_change_in_the_events_transaction(store):
    case_id = register(store, item_code=PROMISED_ITEM)
    casework.accept_case(store, case_id, CLERK, utc_now())
    rating = {
        "step": "acceptance",
        "scale_version": "national-2019",
        "level": "very_dissatisfied",
        "bad": True,
        "reasons": [],
        "comment": "",
        "channel": "window",
        "named": False,
    }
    before = (store.figures.figures(), store.figures.tasks(unit="370613004"))

    class PowerCut(Exception):
        pass

    with pytest.raises(PowerCut), case_log.writing(store) as writer:
        writer.write(Draft(case_id, ev.RATED, rating, "chuangkou", utc_now()), Origin.OWN)
        # Inside the transaction the 差评 is counted and its task listed ...
        assert store.figures.tasks(unit="370613004")[0]["case_id"] == case_id
        assert store.figures.figures() != before[0]
        raise PowerCut
    # ... and the rollback takes them away with the event.
    assert (store.figures.figures(), store.figures.tasks(unit="370613004")) == before
    case_log.write_event(
        store, Draft(case_id, ev.RATED, rating, "chuangkou", utc_now()), Origin.OWN
    )
    assert store.figures.tasks(unit="370613004")[0]["stage"] == "verify"


def casework_registered_payload(store: Store, *, org_code: str, agency: str) -> dict:
    """A village application's `registered` payload for a unit, from the demo catalogue."""
    item = store.item(PROMISED_ITEM)
    return {
        "case_number": f"20260302-{agency}-V1-0001",
        "query_code": "K7M2QX",
        "org_code": org_code,
        "channel": "village",
        "green_channel": False,
        "agency_code": agency,
        "item": snapshot_of(item, item["catalogue_version"]),
        "applicant": {
            "name": "张三",
            "id_number": "11010519491231002X",
            "phone": "",
            "address": "",
            "village_code": agency,
        },
        "proxy": None,
        "materials": casework.materials_checklist(item, [m["code"] for m in item["materials"]], {}),
    }
