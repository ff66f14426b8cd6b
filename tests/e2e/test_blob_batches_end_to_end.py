"""Scans drained from a township app to a real central server over HTTP in blob batches: every scan
arrives once with its bytes, in far fewer requests than scans, and a link that cuts in the middle of
a batch still delivers them all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from central_api.device_api.blobs import blob_path
from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from tests.e2e.test_sync_end_to_end import township_row, waiting_up
from tests.support.cases import queue_forwarded_cases
from tests.support.central import CentralProcess
from tests.support.proxy import CuttingProxy
from tests.support.township import township_cli


def _scans(home: Path) -> dict[str, bytes]:
    """The township's scans (every one is named by a forwarded case), by hash."""
    folder = home / "blobs"
    return {p.name: p.read_bytes() for p in folder.glob("??/*") if not p.name.startswith(".")}


def _drained(home: Path) -> bool:
    unsent = township_row(home, "SELECT COUNT(*) FROM bundles_out WHERE status != 'done'")[0]
    return waiting_up(home) == 0 and unsent == 0


def _central_holds_each_once(store: CentralStore, central_home: Path, scans: dict[str, bytes]):
    with store.engine.connect() as c:
        rows = c.execute(
            select(t.blobs.c.sha256, t.blobs.c.size, t.blobs.c.complete).where(
                t.blobs.c.sha256.in_(list(scans))
            )
        ).all()
    assert sorted(rows) == sorted((sha, len(data), 1) for sha, data in scans.items())
    for sha, data in scans.items():
        assert blob_path(central_home, sha).read_bytes() == data
    leftovers = [p for p in (central_home / "blobs").rglob(".*") if p.is_file()]
    assert leftovers == [], "a temporary file was left behind"


def _requests_of(store: CentralStore, home: Path) -> int:
    """How many signed requests central has had from a township PC (one nonce each)."""
    device = township_row(home, "SELECT device_id FROM device")[0]
    with store.engine.connect() as c:
        count = select(func.count()).select_from(t.nonces).where(t.nonces.c.device_id == device)
        return c.execute(count).scalar_one()


def test_scans_go_up_in_batches_and_central_holds_each_exactly_once(
    central: CentralProcess,
    central_db: CentralStore,
    central_home: Path,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    queue_forwarded_cases(home, 60, scan_bytes=200_000, seed=21)
    scans = _scans(home)
    assert len(scans) == 60
    done = township_cli(home, "sync")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _drained(home)
    _central_holds_each_once(central_db, central_home, scans)
    # 12 MB of scans in batches of at most 4 MB: a handful of requests, not one per scan.
    assert _requests_of(central_db, home) < 20


def test_a_link_that_cuts_in_the_middle_of_batches_still_delivers_every_scan(
    central: CentralProcess,
    central_db: CentralStore,
    central_home: Path,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    queue_forwarded_cases(home, 30, scan_bytes=200_000, seed=22)
    scans = _scans(home)
    # A link that drops every 1.5 MB: each 4 MB batch is cut on its way up.
    link = CuttingProxy(central.url, cut_every=1_500_000).start()
    try:
        link.bytes_up = 0
        rounds = 0
        while not _drained(home) and rounds < 30:
            rounds += 1
            township_cli(home, "sync", env={"BIANMIN_CENTRAL_URL": link.url})
        assert _drained(home), f"not drained in {rounds} rounds"
        assert link.cuts >= 1
        _central_holds_each_once(central_db, central_home, scans)
        # The bytes lost to the cuts are bounded: what was on the way when each came.
        sent = sum(len(data) for data in scans.values())
        assert link.bytes_up < sent + (link.cuts + 1) * 4 * 1024 * 1024
    finally:
        link.stop()
