"""Closing the window in the middle of a sync round: the worker ends its round, nothing is half
written, and the next round sends the rest exactly once."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from central_api.stores.store import CentralStore
from tests.e2e.conftest import (  # noqa: F401 - fixtures of a real central server
    central,
    central_db,
    central_home,
    central_url_db,
    enrolled_home,
    township_cli,
)
from tests.e2e.test_sync_end_to_end import (
    _unsent,
    central_events_of,
    own_events,
    township_row,
    waiting_up,
)
from tests.support.cases import queue_forwarded_cases
from tests.support.central import CentralProcess
from tests.support.desktop import DesktopProcess, Xvfb


def uploaded_scans(home: Path) -> int:
    return township_row(home, "SELECT COUNT(*) FROM blob_uploads")[0]


@pytest.mark.slow
def test_closing_the_window_mid_round_loses_and_duplicates_nothing(
    xvfb: Xvfb,
    central: CentralProcess,  # noqa: F811
    central_db: CentralStore,  # noqa: F811
    enrolled_home: Callable[[str], Path],  # noqa: F811
) -> None:
    home = enrolled_home(central.url)
    queue_forwarded_cases(home, 120, scan_bytes=100_000, seed=606)
    desktop = DesktopProcess(home, xvfb.display, env={"BIANMIN_SYNC_SECONDS": "1"})
    desktop.start(name="sync")
    try:
        # Close as soon as the first scan is up: the round is still uploading, the push to come.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not uploaded_scans(home):
            time.sleep(0.02)
        assert uploaded_scans(home), "the worker sent nothing"
        in_flight = waiting_up(home)
        assert desktop.close() == 0, desktop.stderr()
    finally:
        desktop.kill()
    assert in_flight > 0, "the round was over before the window closed"
    log = (home / "logs" / "desktop.log").read_text(encoding="utf-8")
    assert "sync worker stopped" in log and "cut off" not in log and "Traceback" not in log
    with sqlite3.connect(home / "township.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert township_cli(home, "check").returncode == 0
    for _ in range(10):
        if waiting_up(home) == 0 and _unsent(home) == 0:
            break
        assert township_cli(home, "sync").returncode == 0
    ids = central_events_of(central_db, home)
    assert len(ids) == len(set(ids)) and set(ids) == own_events(home)
