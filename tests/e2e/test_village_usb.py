"""A village with no network: its bundles go to the township on a USB stick, the township verifies
and applies them at once, relays them to central unchanged, and central's receipts go back to the
village on the next stick. Importing the same stick twice changes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from tests.support.central import CentralProcess
from tests.support.township import township_cli
from tests.support.village import VILLAGE, register_in_folder

PROMISED_ITEM = "370613-MZ-003"  # 临时救助（街道审批）: open at village points


def rows(home: Path, sql: str, args: tuple = ()) -> list[tuple]:
    """Read rows of a PC's database (read-only)."""
    conn = sqlite3.connect(f"file:{home / 'township.db'}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def snapshot(home: Path) -> tuple:
    """What an import could change at a PC."""
    return (
        rows(home, "SELECT COUNT(*) FROM events"),
        rows(home, "SELECT case_id, state, agency_code FROM cases ORDER BY case_id"),
        rows(home, "SELECT bundle_hash, status FROM relay_bundles ORDER BY bundle_hash"),
        rows(home, "SELECT sequence, status FROM bundles_out ORDER BY sequence"),
        rows(home, "SELECT COUNT(*) FROM feed_applied"),
    )


def accept_at_the_window(home: Path, case_id: str) -> None:
    """The township clerk accepts the case (through the same domain function as the page)."""
    from sync.events import utc_now
    from township_app.backup.upgrade import open_migrated
    from township_app.casework import casework

    store = open_migrated(home / "township.db")
    try:
        clerk = casework.Actor("chuangkou", "clerk", "370613004")
        casework.accept_case(store, case_id, clerk, utc_now())
    finally:
        store.close()


def run(home: Path, *args: str) -> str:
    done = township_cli(home, *args)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_a_usb_stick_carries_village_bundles_through_the_township_to_central_and_back(
    central: CentralProcess,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
    enrolled_village_home: Callable[..., Path],
    tmp_path: Path,
) -> None:
    township_home = enrolled_home(central.url)
    village_home = enrolled_village_home(central.url)  # enrolled, then the network is gone
    case_id, number = register_in_folder(village_home, PROMISED_ITEM)
    stick = tmp_path / "stick"

    run(village_home, "export", "--to", str(stick))
    assert list((stick / "bianmin" / "certificates").glob("*.dsse.json"))
    assert list((stick / "bianmin" / "blobs").iterdir())

    # At the township: verified, applied at once (offline), kept to relay; twice changes nothing.
    out = run(township_home, "import", str(stick))
    assert "转交 1" in out, out
    assert rows(
        township_home, "SELECT state, agency_code FROM cases WHERE case_id = ?", (case_id,)
    ) == [("draft", VILLAGE)]
    scans = rows(township_home, "SELECT COUNT(*) FROM blobs")[0][0]
    before = snapshot(township_home)
    again = run(township_home, "import", str(stick))
    assert "已有 1" in again and snapshot(township_home) == before
    assert rows(township_home, "SELECT COUNT(*) FROM blobs")[0][0] == scans

    # The township's next sync relays the bundle to central unchanged, and keeps the receipt.
    run(township_home, "sync")
    assert rows(township_home, "SELECT status FROM relay_bundles") == [("done",)]
    with central_db.engine.connect() as c:
        held = c.execute(
            select(t.cases.c.state, t.cases.c.org_code).where(t.cases.c.case_number == number)
        ).all()
        writers = c.execute(select(t.events.c.writer).where(t.events.c.case_id == case_id)).all()
    assert held == [("draft", "370613004")]
    village_device = rows(village_home, "SELECT device_id FROM device")[0][0]
    assert writers == [(village_device,)]  # once, written by the village PC itself

    # The window accepts the application (offline would do too); the next sync sends it up and
    # keeps what central sends the village meanwhile.
    accept_at_the_window(township_home, case_id)
    run(township_home, "sync")

    # Back at the village: the township's export carries central's receipt and the village's
    # feed (the acceptance); importing it twice is the same as once.
    back = tmp_path / "stick-back"
    out = run(township_home, "export", "--to", str(back), "--for-village", VILLAGE)
    assert "村代办点回执 1" in out, out
    assert list((back / "bianmin" / "feed" / VILLAGE).glob("*.dsse.json"))
    run(village_home, "import", str(back))
    assert rows(village_home, "SELECT status FROM bundles_out") == [("done",)]
    assert rows(village_home, "SELECT state FROM cases WHERE case_id = ?", (case_id,)) == [
        ("accepted",)
    ]
    settled = snapshot(village_home)
    run(village_home, "import", str(back))
    assert snapshot(village_home) == settled
    # Importing the first stick at the township once more still changes nothing.
    before = snapshot(township_home)
    run(township_home, "import", str(stick))
    assert snapshot(township_home) == before
