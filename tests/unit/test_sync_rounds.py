"""The sync round and the worker: back-off, rounds after a crash, USB twice, enrollment refusals."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from sync import stages
from sync.client import ApiError, Offline
from sync.events import GENESIS_HASH, utc_now
from tests.unit.syncfakes import FakeCentral, enroll_with
from tests.unit.test_casework import REVIEWER, register
from township_app.casework import casework
from township_app.device_sync import device_keys, devices, worker
from township_app.stores.store import Store
from township_app.stores.sync_store import SyncStore
from township_app.usb import sneakernet

CLERK = casework.Actor("chuangkou", "clerk", "370613004")


def _config(home: Path) -> dict:
    return {
        "HOME": str(home),
        "BLOB_DIR": str(home / "blobs"),
        "DATABASE": str(home / "township.db"),
    }


@pytest.fixture
def central(store: Store, demo_home: Path) -> FakeCentral:
    central = FakeCentral()
    enroll_with(store, demo_home, central)
    return central


def _forward(store: Store) -> str:
    state = register(store, item_code="370613-MZ-001")
    casework.accept_case(store, state.case_id, CLERK, utc_now())
    casework.forward_case(
        store, state.case_id, opinion="同意", conclusion="agree", actor=REVIEWER, now=utc_now()
    )
    return state.case_id


def test_a_round_packs_pushes_and_pulls(store, demo_home, central):
    case_id = _forward(store)
    report = worker.sync_round(store, _config(demo_home), central)
    assert report.ok and (report.packed, report.push.accepted) == (1, 1)
    central.decide(case_id, prev_hash=GENESIS_HASH)
    report = worker.sync_round(store, _config(demo_home), central)
    assert report.pull.applied == 1
    status = SyncStore(store).header_status()
    assert (status["online"], status["waiting"], bool(status["last_sync"])) == (True, 0, True)


def test_rounds_after_a_cut_lose_and_duplicate_nothing(store, demo_home, central):
    for _ in range(3):
        _forward(store)
    central.offline = True
    report = worker.sync_round(store, _config(demo_home), central)
    assert report.offline and report.packed == 1
    assert SyncStore(store).header_status()["online"] is False
    central.offline = False
    worker.sync_round(store, _config(demo_home), central)
    worker.sync_round(store, _config(demo_home), central)
    assert len(central.bundles) == 1
    events = sum(1 for raw in central.sent for _ in [raw])
    assert events == 1
    assert store.outbox_waiting() == 0


def test_offline_rounds_back_off_with_jitter_and_honour_retry_after():
    offline = worker.RoundReport(offline=True)
    rng = random.Random(1)
    delays = [worker.delay_after(offline, failures, 5, rng) for failures in range(1, 12)]
    assert all(5 <= d <= 600 for d in delays)
    assert delays[-1] > 300 and delays[-1] > delays[2]
    assert worker.delay_after(worker.RoundReport(), 0, 5) == 5
    slow = worker.RoundReport(offline=True, retry_after=120)
    assert worker.delay_after(slow, 1, 5, rng) >= 120
    first = {round(worker.delay_after(offline, 3, 5, random.Random(seed)), 3) for seed in range(5)}
    assert len(first) > 1  # PCs that lost the link together do not come back together


def test_the_failure_count_survives_and_resets(store, demo_home, central):
    central.offline = True
    worker.sync_round(store, _config(demo_home), central)
    worker.sync_round(store, _config(demo_home), central)
    assert SyncStore(store).state()["failures"] == 2
    central.offline = False
    worker.sync_round(store, _config(demo_home), central)
    assert SyncStore(store).state()["failures"] == 0


def test_the_worker_thread_runs_rounds_and_stops_cleanly(store, demo_home, central, monkeypatch):
    seen = []
    monkeypatch.setattr(
        worker,
        "sync_round",
        lambda s, c, client=None: seen.append(1) or worker.RoundReport(enrolled=False),
    )
    running = worker.Worker({**_config(demo_home), "SYNC_SECONDS": 1}).start()
    import time

    deadline = time.monotonic() + 5
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    running.stop()
    assert len(seen) >= 2 and not running.loop.is_alive()


def test_a_pc_not_enrolled_does_nothing(store, demo_home):
    report = worker.sync_round(store, _config(demo_home))
    assert not report.enrolled


def test_usb_export_and_import_twice_change_nothing(store, demo_home, central, tmp_path):
    case_id = _forward(store)
    stick = tmp_path / "stick"
    first = sneakernet.export_to(store, stick, demo_home / "blobs", demo_home, now=utc_now())
    second = sneakernet.export_to(store, stick, demo_home / "blobs", demo_home, now=utc_now())
    assert (first.bundles, second.bundles, second.unchanged) == (1, 0, 1)
    # At central: the stick's bundle is ingested and its receipt written back, with the feed.
    from sync import usb

    device_id = store.device()["device_id"]
    [(found, sequence, raw)] = list(usb.read_bundles(stick))
    answer = central.push_bundles([raw])[0]
    from sync.signing import Envelope

    usb.write_receipt(stick, device_id, sequence, Envelope.from_dict(answer["receipt"]).to_json())
    event = central.decide(case_id, prev_hash=GENESIS_HASH)
    usb.write_feed_entry(
        stick, "370613004", 1, Envelope.from_dict(central.feed_entries[-1]["envelope"]).to_json()
    )
    seen: list[tuple[int, int]] = []
    result = sneakernet.import_from(
        store, stick, now=utc_now(), progress=lambda done, total: seen.append((done, total))
    )
    assert (result.receipts, result.applied) == (1, 1)
    assert seen == [(0, 2), (1, 2), (2, 2)]  # the receipt, then the feed entry
    before = (store.event_count(), SyncStore(store).count_bundles(), store.outbox_waiting())
    again = sneakernet.import_from(store, stick, now=utc_now())
    assert (again.receipts, again.applied, again.skipped) == (0, 0, 1)
    assert (store.event_count(), SyncStore(store).count_bundles(), store.outbox_waiting()) == before
    assert before[1] == {"done": 1} and store.case_events(case_id)[-1].event_id == event.event_id


class RefusingCentral(FakeCentral):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def enroll(self, envelope):
        raise self.error


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (ApiError(400, stages.ENROLLMENT_CODE_INVALID, "", {}), "注册码无效、已被使用或已过期"),
        (ApiError(409, stages.ENROLLMENT_CONFLICT, "", {}), "中心已登记了相同的设备标识"),
        (Offline("ConnectionError"), "无法连接中心服务器"),
    ],
)
def test_enrollment_refusals_say_what_to_do(store, demo_home, error, message):
    with pytest.raises(devices.EnrollmentFailed) as refused:
        devices.enroll(
            store,
            demo_home,
            server_url="http://central.test",
            code="X",
            client=RefusingCentral(error),
        )
    assert message in refused.value.message
    assert not devices.enrollment(store)["enrolled"]


def test_enrollment_stops_when_the_fingerprint_differs(store, demo_home):
    central = FakeCentral()
    with pytest.raises(devices.EnrollmentFailed, match="指纹"):
        devices.enroll(
            store,
            demo_home,
            server_url="http://c.test",
            code="X",
            fingerprint="0000-0000-0000-0000",
            client=central,
        )
    right = device_keys.fingerprint(central.key.key_id)
    state = devices.enroll(
        store,
        demo_home,
        server_url="http://c.test",
        code="X",
        fingerprint=right.lower(),
        client=central,
    )
    assert state["enrolled"] and state["central_fingerprint"] == right


def test_enrollment_by_file_needs_no_network(store, demo_home, tmp_path):
    import json

    central = FakeCentral()
    request = devices.enrollment_request(store, demo_home, "CODE-1", "窗口1号机")
    answer = central.enroll(json.loads(request))
    state = devices.complete_enrollment(store, demo_home, answer, server_url="")
    assert state["enrolled"] and state["key_id"] == device_keys.load_key(demo_home).key_id


def test_key_rotation_keeps_the_old_key_until_confirmed(store, demo_home, central, monkeypatch):
    old = device_keys.load_key(demo_home).key_id
    central.rotated = None

    def rotate(envelope):
        central.rotated = envelope
        return {"key_id": "new"}

    central.rotate_key = rotate
    central.key_id = None
    central.base_url, central.device_id, central.clock_offset = "http://c.test", "x", 0
    monkeypatch.setattr(devices, "make_client", lambda *a, **k: central)
    monkeypatch.setattr(devices, "finish_rotation", lambda *a, **k: False)
    new = devices.rotate_key(store, demo_home)
    assert new != old and SyncStore(store).state()["key_id"] == new
    assert device_keys.load_key(demo_home).key_id == new
    assert not (demo_home / device_keys.PREVIOUS_FILE).exists()  # me() confirmed it
    assert len(central.rotated["signatures"]) == 2


def test_the_worker_writes_nothing_until_the_database_check_has_passed(
    store, demo_home, central, monkeypatch
):
    seen = []
    monkeypatch.setattr(
        worker,
        "sync_round",
        lambda s, c, client=None: seen.append(1) or worker.RoundReport(enrolled=False),
    )
    checked = threading.Event()
    running = worker.Worker({**_config(demo_home), "SYNC_SECONDS": 1}, ready=checked.is_set).start()
    try:
        time.sleep(1.5)
        assert seen == []  # the integrity check still runs: no round, no write
        checked.set()
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen
    finally:
        running.stop()


def test_usb_export_reports_its_progress_file_by_file(store, demo_home, central, tmp_path):
    _forward(store)
    _forward(store)
    reports: list[tuple[int, int]] = []
    result = sneakernet.export_to(
        store,
        tmp_path / "stick",
        demo_home / "blobs",
        demo_home,
        now=utc_now(),
        progress=lambda done, total: reports.append((done, total)),
    )
    files = result.bundles + result.unchanged + result.blobs
    assert files >= 1 and reports == [(n, files) for n in range(1, files + 1)]


@pytest.mark.parametrize(
    ("header", "seconds"), [("30", 30.0), (" 7 ", 7.0), ("²", None), ("", None)]
)
def test_a_retry_after_in_other_digits_is_no_delay_to_honour(header, seconds):
    # A proxy's odd header must not stop the round: "²" is a digit to Python, not to float().
    from sync.client import _retry_after

    assert _retry_after(header) == seconds
