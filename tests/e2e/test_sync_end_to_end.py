"""A central server and two township apps over real HTTP on loopback: cases forwarded offline reach
central exactly once when the link returns, and the county's decision comes back to the window."""

from __future__ import annotations

import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from central_api.stores.store import CentralStore
from tests.e2e.conftest import decide, wait_for
from tests.support.cases import queue_forwarded_cases
from tests.support.central import CentralProcess
from tests.support.proxy import FaultProxy
from tests.support.township import Browserless, TownshipProcess, township_cli


def township_row(home: Path, sql: str, args: tuple = ()) -> tuple:
    """Read one row of a township database (read-only, the app may be running)."""
    conn = sqlite3.connect(f"file:{home / 'township.db'}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchone()
    finally:
        conn.close()


def waiting_up(home: Path) -> int:
    """How many forwarded cases still wait to go up at a township."""
    return township_row(home, "SELECT COUNT(*) FROM outbox WHERE status = 'waiting'")[0]


def own_events(home: Path) -> set[str]:
    """The ids of the events this township PC wrote itself."""
    conn = sqlite3.connect(f"file:{home / 'township.db'}?mode=ro", uri=True)
    try:
        device = conn.execute("SELECT device_id FROM device").fetchone()[0]
        return {
            r[0] for r in conn.execute("SELECT event_id FROM events WHERE writer = ?", [device])
        }
    finally:
        conn.close()


def central_events_of(store: CentralStore, home: Path) -> list[str]:
    """The event ids central holds from one township PC (a list: duplicates would show)."""
    device = township_row(home, "SELECT device_id FROM device")[0]
    from sqlalchemy import select

    from central_api.stores import schema as t

    with store.engine.connect() as c:
        query = select(t.events.c.event_id).where(t.events.c.writer == device)
        return [r[0] for r in c.execute(query)]


def central_case_state(store: CentralStore, case_number: str) -> str | None:
    """The state central holds for a case, by case number."""
    from sqlalchemy import select

    from central_api.stores import schema as t

    with store.engine.connect() as c:
        row = c.execute(select(t.cases.c.state).where(t.cases.c.case_number == case_number)).first()
    return row[0] if row else None


def case_state(home: Path, case_number: str) -> str | None:
    """The state a township holds for a case, by case number."""
    row = township_row(home, "SELECT state FROM cases WHERE case_number = ?", (case_number,))
    return row[0] if row else None


def test_cases_forwarded_offline_reach_central_once_and_the_decision_comes_back(
    central: CentralProcess,
    central_home: Path,
    central_url_db: str,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
) -> None:
    link = FaultProxy(central.url, fault_rate=0.0).start()
    try:
        homes = [enrolled_home(link.url), enrolled_home(link.url)]
        link.link_up = False  # the network goes down after enrollment
        numbers = [queue_forwarded_cases(home, 4, seed=i) for i, home in enumerate(homes)]
        townships = [
            TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start() for home in homes
        ]
        try:
            time.sleep(2.5)  # a few rounds fail while offline, and nothing reaches central
            assert all(waiting_up(home) == 4 for home in homes)
            assert all(central_case_state(central_db, n[0]) is None for n in numbers)
            clerk = Browserless(townships[0].url)
            clerk.login("chuangkou")
            assert "离线" in clerk.get("/").text

            link.link_up = True  # the link returns: the workers drain their queues
            for home in homes:
                wait_for(lambda h=home: waiting_up(h) == 0, what="the outbox drains")
                ids = central_events_of(central_db, home)
                assert len(ids) == len(set(ids)) and set(ids) == own_events(home)
            for case_number in numbers[0] + numbers[1]:
                assert central_case_state(central_db, case_number) == "forwarded"
            assert "在线" in clerk.get("/").text

            # The county approves one case at central; the decision reaches the window.
            decided = numbers[0][0]
            decide(
                central_home, central_url_db, decided, "--approve", "--document-number",
                "莱民审〔2026〕17号", "--by-org", "370613", "--actor", "county-reviewer",
            )  # fmt: skip
            wait_for(lambda: case_state(homes[0], decided) == "decided", what="the decision")
            assert case_state(homes[1], decided) is None  # the other PC never held it
            case_id = township_row(
                homes[0], "SELECT case_id FROM cases WHERE case_number = ?", (decided,)
            )[0]
            page = clerk.get(f"/cases/{case_id}")
            assert "莱民审〔2026〕17号" in page.text and "送达并办结" in page.text

            # The clerk delivers the result and completes the case; that goes up too.
            done = clerk.post(
                f"/results/{case_id}/deliver",
                {"method": "window", "recipient": "申请人本人", "note": "", "then": "complete"},
            )
            assert done.status_code == 200, done.text[:500]
            assert case_state(homes[0], decided) == "completed"
            wait_for(
                lambda: central_case_state(central_db, decided) == "completed",
                what="the completion reaches central",
            )
        finally:
            for township in townships:
                township.stop()
    finally:
        link.stop()


def test_every_bundle_arrives_exactly_once_through_a_faulty_link(
    central: CentralProcess, central_db: CentralStore, enrolled_home: Callable[[str], Path]
) -> None:
    link = FaultProxy(central.url, fault_rate=0.35, seed=11, delay_seconds=0.2).start()
    try:
        home = enrolled_home(link.url)
        queue_forwarded_cases(home, 40, scan_bytes=40_000, seed=3)
        faults = {"drop", "lose_answer", "reset", "bad_gateway", "truncate"}
        rounds = more = 0
        while rounds < 80 and (waiting_up(home) or _unsent(home) or not faults <= set(link.counts)):
            if not (waiting_up(home) or _unsent(home)):
                # Drained before every kind of fault came (scans go up a batch to a request, so a
                # round makes few requests): more work through the same link until all have.
                more += 1
                queue_forwarded_cases(home, 5, scan_bytes=40_000, seed=3 + more)
            rounds += 1
            township_cli(home, "sync")
        assert waiting_up(home) == 0 and _unsent(home) == 0, f"not drained in {rounds} rounds"
        ids = central_events_of(central_db, home)
        assert len(ids) == len(set(ids)) and set(ids) == own_events(home)
        # Every kind of fault really happened on the way.
        assert faults <= set(link.counts)
    finally:
        link.stop()


def _unsent(home: Path) -> int:
    return township_row(home, "SELECT COUNT(*) FROM bundles_out WHERE status != 'done'")[0]


@pytest.mark.slow
def test_killing_the_township_at_random_moments_of_sync_loses_and_duplicates_nothing(
    central: CentralProcess, central_db: CentralStore, enrolled_home: Callable[[str], Path]
) -> None:
    home = enrolled_home(central.url)
    rng = random.Random(50)
    kills = attempts = 0
    # The kill comes at a random moment of the round's second half (the first is mostly Python
    # starting up). How long a round takes depends on the machine and its load, so it is measured:
    # the first rounds run to the end, and any round that ends before its kill is measured too.
    lengths: list[float] = []
    while kills < 50 and attempts < 300:
        attempts += 1
        # New work arrives before every round, so packing, uploading, pushing and pulling are
        # all under way when the kill comes.
        queue_forwarded_cases(home, 6, scan_bytes=60_000, seed=1000 + attempts)
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "township_app.cli", "--home", str(home), "sync"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        typical = statistics.median(lengths[-9:]) if len(lengths) >= 3 else None
        deadline = started + (rng.uniform(0.5, 0.95) * typical if typical else 60.0)
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        else:
            lengths.append(time.monotonic() - started)
        process.wait(10)
    assert kills >= 50, f"only {kills} kills in {attempts} rounds"
    for _ in range(10):
        if waiting_up(home) == 0 and _unsent(home) == 0:
            break
        assert township_cli(home, "sync").returncode == 0
    assert waiting_up(home) == 0 and _unsent(home) == 0
    assert township_cli(home, "check").returncode == 0
    ids = central_events_of(central_db, home)
    assert len(ids) == len(set(ids)) and set(ids) == own_events(home)


def test_usb_stick_carries_bundles_up_and_receipts_and_decisions_down(
    central: CentralProcess,
    central_home: Path,
    central_url_db: str,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    from tests.support.central import central_cli

    home = enrolled_home(central.url)  # enrolled once; from then on only the stick travels
    numbers = queue_forwarded_cases(home, 3, scan_bytes=10_000, seed=21)
    stick = tmp_path / "usb"
    assert township_cli(home, "export", "--to", str(stick)).returncode == 0
    for _ in range(2):  # importing twice changes nothing
        central_cli(central_home, central_url_db, "import", str(stick))
    ids = central_events_of(central_db, home)
    assert len(ids) == len(set(ids)) and set(ids) == own_events(home)
    decide(
        central_home, central_url_db, numbers[0], "--refuse", "--reasons",
        "家庭人均收入高于当地低保标准", "--by-org", "370613", "--actor", "county-reviewer",
    )  # fmt: skip
    central_cli(
        central_home, central_url_db, "export-feed", "--org", "370613004", "--to", str(stick)
    )
    for _ in range(2):
        done = township_cli(home, "import", str(stick))
        assert done.returncode == 0, done.stderr
    assert waiting_up(home) == 0 and _unsent(home) == 0
    assert case_state(home, numbers[0]) == "decided"


def test_a_new_pc_gets_its_org_tree_and_catalogue_from_central_after_enrollment(
    central: CentralProcess, central_home: Path, central_url_db: str, tmp_path: Path
) -> None:
    from tests.support.central import issue_code

    home = tmp_path / "new-pc"
    done = township_cli(home, "init", "--org", "370613004")
    assert done.returncode == 0, done.stderr
    code = issue_code(central_home, central_url_db)
    done = township_cli(home, "enroll", "--server", central.url, "--code", code)
    assert done.returncode == 0, done.stderr + done.stdout
    done = township_cli(home, "sync")
    assert done.returncode == 0, done.stderr
    units = township_row(home, "SELECT COUNT(*) FROM org_units")[0]
    items = township_row(home, "SELECT COUNT(*) FROM items")[0]
    assert units > 10 and items >= 12
    # A second org tree is refused before enrollment only when the code is not a division code.
    bad = township_cli(tmp_path / "other-pc", "init", "--org", "37061300X")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


def test_a_new_pc_whose_device_code_is_taken_in_its_unit_takes_another_and_enrolls(
    central: CentralProcess, central_home: Path, central_url_db: str, tmp_path: Path
) -> None:
    from tests.support.central import issue_code
    from township_app.backup.upgrade import open_migrated

    homes = []
    for name in ("first", "second"):
        home = tmp_path / name
        assert township_cli(home, "init", "--org", "370613004").returncode == 0
        store = open_migrated(home / "township.db")
        try:
            with store.write():
                store.change_device_code("ZZ")  # both PCs drew the same two characters
        finally:
            store.close()
        code = issue_code(central_home, central_url_db)
        done = township_cli(home, "enroll", "--server", central.url, "--code", code)
        assert done.returncode == 0, done.stderr + done.stdout
        homes.append(home)
    codes = [township_row(home, "SELECT device_code FROM device")[0] for home in homes]
    assert codes[0] == "ZZ" and codes[1] != "ZZ" and len(codes[1]) == 2
