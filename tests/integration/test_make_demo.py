"""`make demo`'s script, as a fresh clone runs it: relative data folders under the working folder, a
central server and a township app started, the township enrolled and its demo cases synced up."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, timeout: float, what: str, log: Path, demo: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert demo.poll() is None, f"the demo script stopped:\n{log.read_text()[-3000:]}"
        try:
            if check():
                return
        except (requests.ConnectionError, sqlite3.Error):
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def _bundles_done(home: Path) -> bool:
    conn = sqlite3.connect(f"file:{home / 'township.db'}?mode=ro", uri=True, timeout=5)
    try:
        counts = dict(conn.execute("SELECT status, COUNT(*) FROM bundles_out GROUP BY status"))
    finally:
        conn.close()
    return counts.get("done", 0) > 0 and not counts.get("waiting") and not counts.get("refused")


def test_the_demo_script_starts_both_apps_enrolled_and_syncing(tmp_path: Path) -> None:
    # The script runs from its own checkout with .venv beside it: give it a copy of what it needs.
    work = tmp_path / "clone"
    (work / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "run-demo.sh", work / "scripts" / "run-demo.sh")
    (work / ".venv").symlink_to(ROOT / ".venv")
    central_port, township_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DEMO_HOME": "data/township",  # relative, as the Makefile gives it
        "DEMO_CENTRAL_HOME": "data/central",
        "DEMO_PORT": str(township_port),
        "DEMO_CENTRAL_PORT": str(central_port),
        "BIANMIN_SYNC_SECONDS": "1",
    }
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        demo = subprocess.Popen(
            ["bash", "scripts/run-demo.sh"],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so that the whole group (both servers) can be stopped
        )
    try:
        township = f"http://127.0.0.1:{township_port}"
        _wait(
            lambda: requests.get(township + "/auth/login", timeout=2).status_code == 200,
            120,
            "the township app",
            log,
            demo,
        )
        assert requests.get(f"http://127.0.0.1:{central_port}/healthz", timeout=2).ok
        _wait(lambda: _bundles_done(work / "data" / "township"), 120, "the first sync", log, demo)
        assert "已注册到中心" in log.read_text()
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
