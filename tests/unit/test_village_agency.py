"""Village agency points: the scope rules, central's certificate of a device key, the agent's
application at a village PC, its arrival at the township from the feed, and the USB relay's checks."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest

from sync import events as ev
from sync import feed
from sync.agency import make_device_certificate, read_device_certificate, village_may_write
from sync.errors import InvalidInput, NotAllowed
from sync.events import new_event, utc_now
from sync.signing import BadSignature, SigningKey
from tests.support.village import VILLAGE, make_village_home, register_in_folder
from tests.unit.syncfakes import FakeCentral, enroll_with
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework
from township_app.casework.ratings import RatingForm, rate_case
from township_app.device_sync import devices, feed_down
from township_app.stores.store import CaseFilter, Store
from township_app.usb import sneakernet

TOWNSHIP = "370613004"
PROMISED_ITEM = "370613-MZ-003"
CLERK = casework.Actor("chuangkou", "clerk", TOWNSHIP)


@pytest.mark.parametrize(
    ("event_type", "agency", "org", "allowed"),
    [
        (ev.REGISTERED, VILLAGE, TOWNSHIP, True),
        (ev.SUPPLEMENT_RECEIVED, VILLAGE, None, True),
        (ev.WITHDRAWN, VILLAGE, None, True),
        (ev.PETITIONED, VILLAGE, None, True),
        (ev.RATED, VILLAGE, None, True),  # the agent records the resident's rating
        (ev.RATED, "370613004202", None, False),
        (ev.REGISTERED, VILLAGE, "370613001", False),  # another township's case
        (ev.REGISTERED, "370613004202", TOWNSHIP, False),  # another village's agency
        (ev.REGISTERED, None, TOWNSHIP, False),  # a window case
        (ev.ACCEPTED, VILLAGE, None, False),
        (ev.REFUSED, VILLAGE, None, False),
        (ev.FORWARDED, VILLAGE, None, False),
        (ev.COMPLETED, VILLAGE, None, False),
        (ev.SUPPLEMENT_REQUESTED, VILLAGE, None, False),
        (ev.DELIVERED, VILLAGE, None, False),
        (ev.WITHDRAWN, "370613004202", None, False),
    ],
)
def test_a_village_writes_only_the_applicants_side_of_its_own_agency_cases(
    event_type, agency, org, allowed
):
    assert (village_may_write(VILLAGE, event_type, agency, org) == "") is allowed


def test_a_device_certificate_verifies_only_unchanged_and_with_the_central_key():
    central, device_key = SigningKey.generate(), SigningKey.generate()
    envelope = make_device_certificate(
        central,
        device_id="d-1",
        org_code=VILLAGE,
        public_key=device_key.public_bytes,
        issued_at="2026-11-25T00:00:00.000Z",
    )
    keys = {central.key_id: central.public_bytes}
    certificate = read_device_certificate(envelope.to_json(), keys)
    assert (certificate.org_code, certificate.key_id) == (VILLAGE, device_key.key_id)
    assert certificate.is_village
    with pytest.raises(BadSignature):
        read_device_certificate(envelope.to_json(), {device_key.key_id: device_key.public_bytes})
    tampered = envelope.to_dict()
    payload = json.loads(base64.b64decode(tampered["payload"]))
    payload["org_code"] = "370613004202"
    tampered["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(BadSignature):
        read_device_certificate(tampered, keys)
    forged = central.sign(
        envelope.payload_type,
        envelope.payload.replace(device_key.key_id.encode(), b"0" * 64),
    )
    with pytest.raises(InvalidInput, match="密钥编号"):
        read_device_certificate(forged.to_dict(), keys)


@pytest.fixture
def central(store: Store, demo_home: Path) -> FakeCentral:
    """The township PC (the demo folder), enrolled at a fake central."""
    made = FakeCentral()
    enroll_with(store, demo_home, made)
    return made


@pytest.fixture
def village_home(demo_home_template: Path, tmp_path: Path, central: FakeCentral) -> Path:
    """A village PC of 东解甲庄村, enrolled at the same central (its own feed)."""
    home = make_village_home(demo_home_template, tmp_path / "village")
    store = open_migrated(home / "township.db")
    try:
        enroll_with(store, home, FakeCentral(central.key))
    finally:
        store.close()
    return home


@pytest.fixture
def village(village_home: Path):
    opened = open_migrated(village_home / "township.db")
    yield opened
    opened.close()


def test_an_agent_at_a_village_pc_applies_for_the_township_with_the_entrustment(
    village_home: Path, village: Store
):
    case_id, number = register_in_folder(village_home, PROMISED_ITEM)
    case = village.case(case_id)
    assert (case.channel, case.org_code, case.agency_code) == ("village", TOWNSHIP, VILLAGE)
    assert case.proxy["relation"] == "代办员" and f"-{VILLAGE}-" in number
    entrustment = next(m for m in case.materials if "委托书" in m["name"])
    assert entrustment["received"] and entrustment["files"]
    assert [r["case_id"] for r in village.outbox_rows()] == [case_id]  # shown as waiting to go up
    agent = casework.Actor("daiban", "agent", VILLAGE)
    assert casework.visible_case(village, case_id, agent) == case
    assert village.count_cases(CaseFilter(agency_code=VILLAGE)) == 1


@pytest.mark.parametrize(
    ("proxy", "scans", "message"),
    [
        (
            {"name": "李秀英", "id_number": "37061319850101123X", "relation": "代办员"},
            False,
            "委托书",
        ),
        (None, True, "代办员姓名和身份证号码"),
    ],
)
def test_an_agent_application_without_the_entrustment_or_the_agents_identity_is_refused(
    village: Store, proxy, scans, message
):
    item = village.item(PROMISED_ITEM)
    from township_app.casework.blobs import StoredScan

    scan = StoredScan("a" * 64, 10, "image/png", "wts.png")
    code = next(m["code"] for m in item["materials"] if "委托书" in m["name"])
    materials = casework.materials_checklist(item, [], {code: [scan]} if scans else {})
    with pytest.raises(InvalidInput, match=message):
        casework.register_case(
            village,
            case_id=str(uuid.uuid4()),
            item_code=PROMISED_ITEM,
            applicant={"name": "李四", "id_number": "11010519491231002X", "village_code": VILLAGE},
            proxy=proxy,
            materials=materials,
            green_channel=False,
            actor=casework.Actor("daiban", "agent", VILLAGE),
            now=utc_now(),
        )
    assert village.event_count() == 0


def test_window_decisions_are_refused_at_a_village_pc(village_home: Path, village: Store):
    case_id, _ = register_in_folder(village_home, PROMISED_ITEM)
    with pytest.raises(NotAllowed, match="村代办点只能"):
        casework.accept_case(village, case_id, casework.Actor("x", "clerk", VILLAGE), utc_now())
    assert village.event_count() == 1 and village.case(case_id).state == "draft"


def _village_events(village: Store, case_id: str) -> list[ev.Event]:
    return village.case_events(case_id)


def test_the_township_takes_a_village_application_from_its_feed_and_the_village_its_outcome(
    store: Store, central: FakeCentral, village_home: Path, village: Store
):
    case_id, _ = register_in_folder(village_home, PROMISED_ITEM)
    [registered] = _village_events(village, case_id)
    central.publish(feed.EVENT, feed.event_body(registered, "0" * 64), scope=TOWNSHIP)
    pulled = feed_down.pull_feed(store, central, devices.central_keys(store), now=utc_now())
    assert pulled.applied == 1
    queue = store.cases_in_state("draft", from_villages=True)
    assert [c.case_id for c in queue] == [case_id]
    assert store.device()["writer_seq"] == 0  # the village's chain is not the township's

    accepted = casework.accept_case(store, case_id, CLERK, utc_now())
    assert accepted.state == "accepted" and accepted.accepted_on
    [_, acceptance] = store.case_events(case_id)
    down = FakeCentral(central.key)
    down.publish(feed.EVENT, feed.event_body(acceptance, "0" * 64), scope=VILLAGE)
    again = feed_down.pull_feed(village, down, devices.central_keys(village), now=utc_now())
    assert again.applied == 1 and village.case(case_id).state == "accepted"


def test_an_agent_records_the_residents_rating_at_the_village_pc_once_the_window_accepted(
    store: Store, central: FakeCentral, village_home: Path, village: Store
):
    agent = casework.Actor("daiban", "agent", VILLAGE)
    case_id, _ = register_in_folder(village_home, PROMISED_ITEM)
    with pytest.raises(NotAllowed, match="还不能评价受理环节"):
        rate_case(village, case_id, "acceptance", RatingForm("satisfied"), agent, utc_now())
    [registered] = _village_events(village, case_id)
    central.publish(feed.EVENT, feed.event_body(registered, "0" * 64), scope=TOWNSHIP)
    feed_down.pull_feed(store, central, devices.central_keys(store), now=utc_now())
    casework.accept_case(store, case_id, CLERK, utc_now())
    down = FakeCentral(central.key)
    down.publish(
        feed.EVENT, feed.event_body(store.case_events(case_id)[-1], "0" * 64), scope=VILLAGE
    )
    feed_down.pull_feed(village, down, devices.central_keys(village), now=utc_now())

    form = RatingForm("very_satisfied", comment="代办员上门服务")
    (rating,) = rate_case(village, case_id, "acceptance", form, agent, utc_now()).ratings
    assert (rating["channel"], rating["by"]) == ("agent", "daiban")
    # Every event of a village PC goes up to its township: the rating waits in the outbox.
    assert [r["case_id"] for r in village.outbox_rows()] == [case_id, case_id]


def test_a_village_event_that_does_not_fold_is_a_feed_problem_and_changes_nothing(
    store: Store, central: FakeCentral
):
    orphan = new_event(
        case_id=str(uuid.uuid4()),
        writer=str(uuid.uuid4()),
        writer_seq=2,
        prev_hash="1" * 64,
        actor="daiban",
        type=ev.REGISTERED,
        payload={"case_number": "x", "channel": "village", "org_code": TOWNSHIP},
        at=utc_now(),
    )
    central.publish(feed.EVENT, feed.event_body(orphan, "0" * 64), scope=TOWNSHIP)
    result = feed_down.pull_feed(store, central, devices.central_keys(store), now=utc_now())
    assert result.problems == 1 and store.event_count() == 0


def _export(village_home: Path, village: Store, stick: Path) -> None:
    sneakernet.export_to(village, stick, village_home / "blobs", village_home, now=utc_now())


def _import(store: Store, demo_home: Path, stick: Path) -> sneakernet.ImportResult:
    return sneakernet.import_from(store, stick, now=utc_now(), blob_root=demo_home / "blobs")


def test_importing_a_village_stick_counts_its_bundles_in_the_progress(
    store: Store, demo_home: Path, village_home: Path, village: Store, tmp_path: Path
):
    register_in_folder(village_home, PROMISED_ITEM)
    register_in_folder(village_home, PROMISED_ITEM)
    _export(village_home, village, tmp_path / "stick")
    seen: list[tuple[int, int]] = []
    result = sneakernet.import_from(
        store,
        tmp_path / "stick",
        now=utc_now(),
        blob_root=demo_home / "blobs",
        progress=lambda done, total: seen.append((done, total)),
    )
    bundles = result.relayed.bundles
    assert bundles >= 1 and result.relayed.refused == []
    assert seen == [(n, bundles) for n in range(bundles + 1)]


def test_relay_takes_a_village_stick_once_and_keeps_the_exact_bytes(
    store: Store, demo_home: Path, village_home: Path, village: Store, tmp_path: Path
):
    case_id, _ = register_in_folder(village_home, PROMISED_ITEM)
    _export(village_home, village, tmp_path / "stick")
    first = _import(store, demo_home, tmp_path / "stick")
    assert (first.relayed.bundles, first.relayed.events, first.relayed.refused) == (1, 1, [])
    assert store.case(case_id).agency_code == VILLAGE
    kept = store.db.execute("SELECT envelope FROM relay_bundles").fetchone()[0]
    [on_stick] = (tmp_path / "stick" / "bianmin" / "bundles").glob("*/*.dsse.json")
    assert bytes(kept) == on_stick.read_bytes()
    second = _import(store, demo_home, tmp_path / "stick")
    assert (second.relayed.bundles, second.relayed.unchanged) == (0, 1)


def test_relay_refuses_a_tampered_bundle_and_keeps_nothing(
    store: Store, demo_home: Path, village_home: Path, village: Store, tmp_path: Path
):
    register_in_folder(village_home, PROMISED_ITEM)
    _export(village_home, village, tmp_path / "stick")
    [path] = (tmp_path / "stick" / "bianmin" / "bundles").glob("*/*.dsse.json")
    envelope = json.loads(path.read_bytes())
    payload = base64.b64decode(envelope["payload"]).replace("李四".encode(), "王五".encode())
    envelope["payload"] = base64.b64encode(payload).decode()
    path.write_text(json.dumps(envelope))
    result = _import(store, demo_home, tmp_path / "stick")
    assert result.relayed.bundles == 0 and "签名无效" in result.relayed.refused[0]
    assert store.event_count() == 0
    assert store.db.execute("SELECT COUNT(*) FROM relay_bundles").fetchone()[0] == 0


def test_relay_refuses_a_village_of_another_township(
    store: Store, demo_home: Path, village_home: Path, village: Store, tmp_path: Path
):
    register_in_folder(village_home, PROMISED_ITEM)
    _export(village_home, village, tmp_path / "stick")
    with store.write():
        store.db.execute("UPDATE device SET org_code = '370613001' WHERE id = 1")
    result = _import(store, demo_home, tmp_path / "stick")
    assert "不是本乡镇" in result.relayed.refused[0] and store.event_count() == 0


def test_relay_refuses_a_window_decision_written_at_a_village_pc(
    store: Store, demo_home: Path, village_home: Path, village: Store, tmp_path: Path
):
    case_id, _ = register_in_folder(village_home, PROMISED_ITEM)
    device = village.device()
    # A tampered village PC writes an acceptance past the app's own check.
    forged = new_event(
        case_id=case_id,
        writer=device["device_id"],
        writer_seq=device["writer_seq"] + 1,
        prev_hash=device["last_hash"],
        actor="daiban",
        type=ev.ACCEPTED,
        payload={},
        at=utc_now(),
    )
    with village.write():
        village.append_event(forged)
        village.advance_writer(forged.writer_seq, forged.hash)
    _export(village_home, village, tmp_path / "stick")
    result = _import(store, demo_home, tmp_path / "stick")
    assert result.relayed.bundles == 0 and "村代办点只能" in result.relayed.refused[0]
    assert store.event_count() == 0


def test_the_sync_page_shows_what_is_relayed_for_the_villages(
    store: Store, demo_home: Path, village_home: Path, village: Store, tmp_path: Path
):
    from tests.support.township import DEMO_PASSWORDS
    from township_app import create_app

    register_in_folder(village_home, PROMISED_ITEM)
    _export(village_home, village, tmp_path / "stick")
    _import(store, demo_home, tmp_path / "stick")
    app = create_app({"HOME": str(demo_home), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/auth/login", data={"username": "admin", "password": DEMO_PASSWORDS["admin"]})
    page = client.get("/sync/").get_data(as_text=True)
    assert "村代办点（U盘转交）" in page and "等待上报 1 个案卷包" in page
