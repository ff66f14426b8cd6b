"""Nothing acknowledged is lost: a kill -9 right after a registration, a damaged database file."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.integration.test_intake_over_http import PROMISED, intake_form
from tests.support.township import Browserless, TownshipProcess


@pytest.mark.slow
def test_case_acknowledged_on_screen_survives_a_kill_9(demo_home: Path):
    township = TownshipProcess(demo_home).start()
    clerk = Browserless(township.url)
    clerk.login("chuangkou")
    numbers = []
    for _ in range(3):
        response = clerk.post(f"/intake/new/{PROMISED}", intake_form(PROMISED))
        assert response.status_code == 200
        numbers.append(re.search(r"\d{8}-370613004-[A-Z0-9]{2}-\d{4}", response.text).group(0))
    accepted = clerk.post(response.url.split(township.url)[1] + "/accept")
    assert accepted.url.endswith("/receipt")
    township.kill_hard()  # as a power cut would: no shutdown, no flush

    restarted = TownshipProcess(demo_home).start()
    try:
        again = Browserless(restarted.url)
        again.login("chuangkou")
        listing = again.get("/cases/")
        for number in numbers:
            assert number in listing.text
        assert "办理中" in listing.text  # the acceptance survived too
        conn = sqlite3.connect(demo_home / "township.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 4
    finally:
        restarted.stop()


def test_damaged_database_opens_read_only_with_a_clear_message(demo_home: Path):
    db = demo_home / "township.db"
    # Overwrite the middle of the file: pages of a real table become garbage.
    with open(db, "r+b") as handle:
        size = handle.seek(0, 2)
        handle.seek(size // 2)
        handle.write(b"\xde\xad\xbe\xef" * 2048)
    township = TownshipProcess(demo_home).start()
    try:
        visitor = Browserless(township.url)
        page = visitor.get("/auth/login")
        assert page.status_code == 200
        assert "只读" in page.text
    finally:
        township.stop()
