"""Feed down at the device: verified entries applied in order, once, with the cursor in one commit."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import pytest

from sync import feed, fold
from sync.assessment_scheme import DEFAULT_SCHEME, DEFAULT_SCHEME_BODY
from sync.events import GENESIS_HASH, utc_now
from sync.rating_scale import DEFAULT_SCALE, NATIONAL_FIVE, WINDOW_2015
from sync.signing import SigningKey
from sync.supervision_rules import DEFAULT_RULES, SupervisionRules
from tests.unit.syncfakes import FakeCentral, enroll_with
from tests.unit.test_casework import REVIEWER, register
from township_app.casework import casework
from township_app.device_sync import devices, feed_down
from township_app.stores.store import Store
from township_app.stores.sync_store import SyncStore

CLERK = casework.Actor("chuangkou", "clerk", "370613004")


@pytest.fixture
def central(store: Store, demo_home: Path) -> FakeCentral:
    central = FakeCentral()
    enroll_with(store, demo_home, central)
    return central


def _pull(store: Store, central: FakeCentral, page_size: int = 200) -> feed_down.PullResult:
    return feed_down.pull_feed(
        store, central, devices.central_keys(store), now=utc_now(), page_size=page_size
    )


def _forwarded_case(store: Store) -> str:
    state = register(store, item_code="370613-MZ-001")
    casework.accept_case(store, state.case_id, CLERK, utc_now())
    casework.forward_case(
        store, state.case_id, opinion="同意", conclusion="agree", actor=REVIEWER, now=utc_now()
    )
    return state.case_id


def _catalogue(serial: int, version: str, store: Store) -> dict:
    return {
        "serial": serial,
        "version": version,
        "published_at": "2026-11-01T00:00:00.000Z",
        "demo": False,
        "note": "",
        "items": [{k: v for k, v in store.items()[0].items() if k != "catalogue_version"}],
    }


def test_a_decision_from_central_shows_on_the_case(store, central):
    case_id = _forwarded_case(store)
    central.decide(case_id, prev_hash=GENESIS_HASH)
    result = _pull(store, central)
    assert result.applied == 1
    case = store.case(case_id)
    assert case.state == fold.DECIDED
    assert store.case_events(case_id)[-1].writer == "central"
    assert store.device()["writer_seq"] == 3  # central's event never moves this PC's chain


def test_a_returned_case_goes_back_to_supplement(store, central):
    case_id = _forwarded_case(store)
    central.central_seq += 1
    from sync.events import new_event

    event = new_event(
        case_id=case_id,
        writer="central",
        writer_seq=central.central_seq,
        prev_hash=GENESIS_HASH,
        actor="county",
        type="returned",
        payload={
            "missing": [{"code": "", "name": "收入证明", "note": ""}],
            "note": "",
            "by_org": "370613",
        },
        at=utc_now(),
    )
    central.publish(feed.EVENT, feed.event_body(event, "0" * 64), scope="370613004")
    _pull(store, central)
    assert store.case(case_id).state == fold.SUPPLEMENT_REQUESTED


def test_an_entry_with_a_bad_signature_is_refused_and_recorded(store, central):
    forger = SigningKey.generate()
    central.publish(feed.CATALOGUE, _catalogue(9, "forged-9", store), key=forger)
    result = _pull(store, central)
    assert (result.applied, result.problems) == (0, 1)
    assert store.catalogue_version()["version"] != "forged-9"
    problems = SyncStore(store).feed_problems()
    assert [p["code"] for p in problems] == ["bad_signature"]
    assert SyncStore(store).state()["feed_cursor"] == 1  # moved past it


def test_an_older_catalogue_is_refused_as_a_rollback(store, central):
    central.publish(feed.CATALOGUE, _catalogue(3, "2026-v3", store))
    central.publish(feed.CATALOGUE, _catalogue(2, "2026-v2", store))
    result = _pull(store, central)
    assert (result.applied, result.problems) == (1, 1)
    assert store.catalogue_version()["version"] == "2026-v3"
    assert [p["code"] for p in SyncStore(store).feed_problems()] == ["rollback"]


def test_a_catalogue_with_a_bad_item_is_refused_and_the_installed_one_stays(store, central):
    installed = store.catalogue_version()["version"]
    items_before = store.items()
    bad = _catalogue(7, "2026-v7", store)
    bad["items"].append({**bad["items"][0], "code": "BAD-1", "name": "坏事项", "kind": "urgent"})
    result = _pull_after(central, store, bad)
    assert (result.applied, result.problems) == (0, 1)
    assert store.catalogue_version()["version"] == installed
    assert store.items() == items_before  # nothing half-installed
    [problem] = SyncStore(store).feed_problems()
    assert problem["code"] == "invalid_catalogue"
    assert "第 2 项（BAD-1 坏事项）" in problem["message"]
    assert "事项类型" in problem["message"] and "kind" in problem["message"]
    assert SyncStore(store).state()["catalogue_serial"] < 7  # a good serial 7 may follow


def _pull_after(central: FakeCentral, store: Store, catalogue: dict) -> feed_down.PullResult:
    central.publish(feed.CATALOGUE, catalogue)
    return _pull(store, central)


def test_applying_the_same_entries_twice_changes_nothing(store, central):
    case_id = _forwarded_case(store)
    central.decide(case_id, prev_hash=GENESIS_HASH)
    central.publish(feed.CATALOGUE, _catalogue(5, "2026-v5", store))
    central.publish(feed.CATALOGUE, _catalogue(4, "2026-v4", store))  # a rollback: one problem
    _pull(store, central)
    before = (
        store.event_count(),
        SyncStore(store).count_applied(),
        len(SyncStore(store).feed_problems()),
    )
    keys = devices.central_keys(store)
    with store.write():
        outcomes = [
            feed_down.apply_entry(store, e["seq"], e["envelope"], keys, now=utc_now())
            for e in central.feed_entries
        ]
    assert outcomes == ["skipped", "skipped", "problems"]
    after = (
        store.event_count(),
        SyncStore(store).count_applied(),
        len(SyncStore(store).feed_problems()),
    )
    assert after == before


def test_a_page_and_its_cursor_commit_together(store, central, monkeypatch):
    central.publish(feed.CATALOGUE, _catalogue(2, "2026-v2", store))
    central.publish(feed.ORG_TREE, {"serial": 0, "units": []})  # malformed: serial 0

    original = SyncStore.mark_entry_applied
    calls = []

    def crash_on_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            original(self, *args, **kwargs)
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(SyncStore, "mark_entry_applied", crash_on_second)
    with pytest.raises(sqlite3.OperationalError):
        _pull(store, central)
    monkeypatch.undo()
    assert SyncStore(store).state()["feed_cursor"] == 0
    assert SyncStore(store).count_applied() == 0
    assert store.catalogue_version()["version"] != "2026-v2"
    _pull(store, central)
    assert SyncStore(store).state()["feed_cursor"] == 2
    assert store.catalogue_version()["version"] == "2026-v2"


def test_pages_are_pulled_until_there_is_no_more(store, central):
    for serial in range(1, 6):
        central.publish(feed.CATALOGUE, _catalogue(serial, f"2026-v{serial}", store))
    result = _pull(store, central, page_size=2)
    assert (result.pages, result.applied) == (3, 5)
    assert store.catalogue_version()["version"] == "2026-v5"


def test_entries_for_another_unit_are_not_applied(store, central):
    central.publish(feed.CATALOGUE, _catalogue(2, "other", store), scope="370613005")
    assert _pull(store, central).problems == 1
    assert [p["code"] for p in SyncStore(store).feed_problems()] == ["out_of_scope"]


def test_a_revocation_of_this_device_stops_sending(store, central):
    central.publish(
        feed.REVOCATION,
        {"device_id": store.device()["device_id"], "key_ids": [], "last_valid_sequence": 0},
    )
    _pull(store, central)
    assert SyncStore(store).state()["revoked_at"]
    assert SyncStore(store).header_status()["problems"] == 1


def test_the_newest_signed_time_is_kept_as_a_clock_floor(store, central):
    central.publish(
        feed.CALENDAR,
        {"year": 2027, "version": 1, "source": "国务院办公厅通知", "holidays": [], "workdays": []},
    )
    _pull(store, central)
    assert SyncStore(store).state()["newest_issued_at"] == central_issued(central)
    assert [y.year for y in store.calendar_years()] == [2027]


def central_issued(central: FakeCentral) -> str:
    from sync.signing import Envelope, strict_loads

    envelope = Envelope.from_dict(central.feed_entries[-1]["envelope"])
    return strict_loads(envelope.payload)["issued_at"]


def _scale(serial: int, scale=None) -> dict:
    return {
        "serial": serial,
        "published_at": "2026-11-01T00:00:00.000Z",
        **(scale or WINDOW_2015).to_dict(),
    }


def test_the_township_rates_on_the_default_scale_until_central_publishes_one(store, central):
    assert store.rating_scale() == DEFAULT_SCALE and store.rating_scale_serial() == 0
    central.publish(feed.RATING_SCALE, _scale(1))
    assert _pull(store, central).applied == 1
    assert store.rating_scale() == WINDOW_2015 and store.rating_scale_serial() == 1
    # The ratings already made name their version: its labels stay readable.
    assert store.rating_scale(DEFAULT_SCALE.version) == DEFAULT_SCALE


def test_an_older_rating_scale_is_refused_as_a_rollback(store, central):
    central.publish(feed.RATING_SCALE, _scale(3))
    central.publish(feed.RATING_SCALE, _scale(2, NATIONAL_FIVE))
    result = _pull(store, central)
    assert (result.applied, result.problems) == (1, 1)
    assert store.rating_scale() == WINDOW_2015
    assert [p["code"] for p in SyncStore(store).feed_problems()] == ["rollback"]


def test_a_bad_rating_scale_is_refused_and_the_one_in_use_stays(store, central):
    bad = _scale(4)
    bad["levels"][3]["bad"] = "yes"
    central.publish(feed.RATING_SCALE, bad)
    result = _pull(store, central)
    assert (result.applied, result.problems) == (0, 1)
    assert store.rating_scale() == DEFAULT_SCALE and store.rating_scale_serial() == 0
    [problem] = SyncStore(store).feed_problems()
    assert problem["code"] == "invalid_rating_scale"
    assert problem["message"] == "评价标准第 4 个等级：须写明是否为差评（bad: true 或 false）。"


def _rules(serial: int, **changes) -> dict:
    return {
        "serial": serial,
        "published_at": "2026-11-01T00:00:00.000Z",
        **SupervisionRules(version=f"v{serial}", **changes).to_dict(),
    }


def test_the_township_warns_on_the_default_rules_until_central_publishes_some(store, central):
    assert store.supervision_rules() == DEFAULT_RULES and store.supervision_rules_serial() == 0
    central.publish(feed.SUPERVISION_RULES, _rules(1, yellow_percent=60, petition_days=10))
    assert _pull(store, central).applied == 1
    assert store.supervision_rules() == SupervisionRules(
        version="v1", yellow_percent=60, petition_days=10
    )


def test_older_or_bad_supervision_rules_are_refused_and_the_rules_in_use_stay(store, central):
    central.publish(feed.SUPERVISION_RULES, _rules(3, acceptance_days=7))
    central.publish(feed.SUPERVISION_RULES, _rules(2))
    bad = _rules(4)
    bad["acceptance_days"] = 0
    central.publish(feed.SUPERVISION_RULES, bad)
    result = _pull(store, central)
    assert (result.applied, result.problems) == (1, 2)
    assert store.supervision_rules().acceptance_days == 7
    codes = [p["code"] for p in SyncStore(store).feed_problems()]
    assert sorted(codes) == ["invalid_supervision_rules", "rollback"]


def _scheme(serial: int, version: str) -> dict:
    body = copy.deepcopy(DEFAULT_SCHEME_BODY)
    body["version"] = version
    return {"serial": serial, "published_at": "2026-11-01T00:00:00.000Z", **body}


def test_the_township_assesses_on_the_default_scheme_until_central_publishes_one(store, central):
    assert store.assessment_scheme() == DEFAULT_SCHEME and store.assessment_scheme_serial() == 0
    central.publish(feed.ASSESSMENT_SCHEME, _scheme(1, "laishan-2027"))
    assert _pull(store, central).applied == 1
    assert store.assessment_scheme().version == "laishan-2027"
    assert store.assessment_scheme().categories == DEFAULT_SCHEME.categories


def test_an_older_or_bad_scheme_is_refused_and_the_one_in_use_stays(store, central):
    central.publish(feed.ASSESSMENT_SCHEME, _scheme(3, "v3"))
    central.publish(feed.ASSESSMENT_SCHEME, _scheme(2, "v2"))
    bad = _scheme(4, "v4")
    bad["categories"][0]["weight"] = 25
    central.publish(feed.ASSESSMENT_SCHEME, bad)
    result = _pull(store, central)
    assert (result.applied, result.problems) == (1, 2)
    assert store.assessment_scheme().version == "v3"
    problems = {p["code"]: p["message"] for p in SyncStore(store).feed_problems()}
    assert set(problems) == {"rollback", "invalid_assessment_scheme"}
    assert "指标分值合计 20，与权重 25 不符" in problems["invalid_assessment_scheme"]
