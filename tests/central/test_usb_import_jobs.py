"""A USB import begun from the admin's page runs on a thread and is followed through the database:
its steps and counts, its end (done, failed, or interrupted when its worker went away), and one
import per stick at a time."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from central_api import keys
from central_api.stores import usb_import_store as sql
from central_api.stores.store import CentralStore
from central_api.usb import usb_import, usb_import_jobs
from sync import usb
from sync.events import utc_now
from tests.support.central import FakeDevice


def _stick(folder: Path, device: FakeDevice, bundles: int) -> Path:
    for sequence in range(1, bundles + 1):
        usb.write_bundle(folder, device.device_id, sequence, device.pack(device.forwarded_case()))
    return folder


def _run(store: CentralStore, home: Path, import_id: int) -> None:
    usb_import_jobs.run(store, home, keys.load_or_create(home), import_id, utc_now, "127.0.0.1")


def test_an_import_reports_its_steps_and_keeps_what_it_did(
    central_store: CentralStore,
    central_home: Path,
    device: FakeDevice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stick = _stick(tmp_path / "stick", device, 3)
    (stick / usb.ROOT / "blobs").mkdir(parents=True)
    (stick / usb.ROOT / "blobs" / ("ab" * 32)).write_bytes(os.urandom(100))  # not its hash
    reports: list[tuple[str, int, int]] = []
    beats = usb_import_jobs._Beats.__call__

    def noting(self: usb_import_jobs._Beats, step: str, done: int, total: int) -> None:
        reports.append((step, done, total))
        beats(self, step, done, total)

    monkeypatch.setattr(usb_import_jobs._Beats, "__call__", noting)
    import_id, new = usb_import_jobs.begin(central_store, stick, "admin", utc_now())
    assert new
    started = usb_import_jobs.seen(central_store, import_id, utc_now())
    assert started is not None and (started.state, started.step) == ("running", "reading")

    _run(central_store, central_home, import_id)

    assert reports == [
        ("blobs", 0, 4),
        ("blobs", 1, 4),
        ("bundles", 4, 4),
        ("feed", 4, 4),
    ]
    ended = usb_import_jobs.seen(central_store, import_id, utc_now())
    assert ended is not None and ended.state == "done" and ended.percent == 100
    outcome = ended.outcome
    assert outcome is not None
    assert (outcome.bundles, outcome.accepted, outcome.refused) == (3, 3, 0)
    assert outcome.devices == [
        {
            "device_code": device.device_code,
            "org_code": device.org_code,
            "first": 1,
            "last": 3,
            "accepted": 3,
            "duplicate": 0,
            "refused": 0,
        }
    ]
    assert [p["code"] for p in outcome.problems] == ["blob_hash_mismatch"]
    assert outcome.feed[device.org_code] > 0
    assert [seq for seq, _ in usb.read_receipts(stick, device.device_id)] == [1, 2, 3]


def test_the_same_stick_twice_at_once_is_one_import_but_a_stalled_one_is_not_waited_for(
    central_store: CentralStore, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    now = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    first, new = usb_import_jobs.begin(central_store, stick, "admin", now)
    assert new
    assert usb_import_jobs.begin(central_store, stick, "admin2", now + timedelta(seconds=5)) == (
        first,
        False,
    )
    other, new = usb_import_jobs.begin(central_store, tmp_path, "admin", now)
    assert new and other != first  # another stick is imported beside it

    # The worker importing it went away: its heartbeat stopped.
    later = now + timedelta(seconds=usb_import_jobs.STALE_AFTER_S + 1)
    stalled = usb_import_jobs.seen(central_store, first, later)
    assert stalled is not None and stalled.state == "interrupted"
    again, new = usb_import_jobs.begin(central_store, stick, "admin", later)
    assert new and again not in (first, other)
    assert [job.id for job in usb_import_jobs.recent(central_store, later)][:3] == [
        again,
        other,
        first,
    ]


def test_a_stick_pulled_out_midway_ends_the_import_with_what_to_do(
    central_store: CentralStore,
    central_home: Path,
    device: FakeDevice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stick = _stick(tmp_path / "stick", device, 1)

    def pulled_out(*args: object, **kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(usb, "write_receipt", pulled_out)
    import_id, _ = usb_import_jobs.begin(central_store, stick, "admin", utc_now())
    _run(central_store, central_home, import_id)
    ended = usb_import_jobs.seen(central_store, import_id, utc_now())
    assert ended is not None and ended.state == "failed" and ended.failure is not None
    assert "读写 U 盘失败" in str(ended.failure) and "Input/output error" in str(ended.failure)
    assert "请插好 U 盘后再做一次" in str(ended.failure)


def test_an_unexpected_error_ends_the_import_without_a_trace_on_the_page(
    central_store: CentralStore,
    central_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(usb_import, "import_folder", broken)
    import_id, _ = usb_import_jobs.begin(central_store, tmp_path, "admin", utc_now())
    _run(central_store, central_home, import_id)
    ended = usb_import_jobs.seen(central_store, import_id, utc_now())
    assert ended is not None and ended.state == "failed"
    assert "意外错误" in str(ended.failure) and "a bug" not in str(ended.failure)
    assert "USB import" in caplog.text  # the trace goes to the log, for the IT staff
    with central_store.reading() as c:
        row = sql.usb_import(c, import_id)
    assert row is not None and json.loads(row["error"])["template"].startswith("导入时")


def test_a_summary_counts_by_device_and_lists_every_refusal() -> None:
    lines = [
        {"device_id": "d1", "sequence": 4, "status": "duplicate"},
        {"device_id": "d1", "sequence": 5, "status": "accepted"},
        {
            "device_id": "d2",
            "sequence": 9,
            "status": "refused",
            "error": {"code": "sequence_gap", "message": "案卷包序号不连续：应为 7。"},
        },
        {"blob": "cd" * 32, "status": "refused", "error": {"code": "x", "message": "m"}},
    ]
    devices = {"d1": {"device_code": "PC01", "org_code": "370613004"}}
    summary = usb_import.summarize(lines, devices, {"370613004": 12})
    assert (summary.bundles, summary.accepted, summary.duplicate, summary.refused) == (3, 1, 1, 1)
    assert [(d["device_code"], d["first"], d["last"]) for d in summary.devices] == [
        ("PC01", 4, 5),
        ("d2", 9, 9),  # a device central does not know: the start of its id
    ]
    assert summary.problems == [
        {
            "device_code": "d2",
            "sequence": 9,
            "code": "sequence_gap",
            "message": lines[2]["error"]["message"],
        },
        {"blob": "cd" * 32, "code": "x", "message": "m"},
    ]
    assert usb_import.StickExchange.from_json(summary.to_json()) == summary


def test_a_long_step_keeps_the_heartbeat_going(
    central_store: CentralStore,
    central_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One step may outlast the page's patience (a large scan on a slow stick): the heartbeat has
    # its own thread, so the import is not taken for one whose worker went away.
    real_exchange = usb_import.exchange
    beats: list[int] = []
    real_beat = sql.beat

    def slow_exchange(*args: object, **kwargs: object) -> usb_import.StickExchange:
        time.sleep(0.5)
        return real_exchange(*args, **kwargs)  # type: ignore[arg-type]

    def counted_beat(c: object, import_id: int, heartbeat: int) -> None:
        beats.append(heartbeat)
        real_beat(c, import_id, heartbeat)  # type: ignore[arg-type]

    monkeypatch.setattr(usb_import, "exchange", slow_exchange)
    monkeypatch.setattr(sql, "beat", counted_beat)
    monkeypatch.setattr(usb_import_jobs, "HEARTBEAT_S", 0.05)
    import_id, _ = usb_import_jobs.begin(central_store, tmp_path, "admin", utc_now())
    _run(central_store, central_home, import_id)
    assert len(beats) >= 3
    ended = usb_import_jobs.seen(central_store, import_id, utc_now())
    assert ended is not None and ended.state == "done"
