"""A village agency point and its township over real HTTP on loopback with a real central server:
the agent's application reaches the township's "from villages" queue, the window decides, and the
outcome (and the county's decision) comes back to the village."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from central_api.stores.store import CentralStore
from tests.e2e.conftest import decide, wait_for
from tests.e2e.test_sync_end_to_end import central_case_state
from tests.support.central import CentralProcess
from tests.support.township import Browserless, TownshipProcess
from tests.support.village import PNG, VILLAGE, register_by_agent

FORWARDED_ITEM = "370613-MZ-001"  # 最低生活保障审核确认: open at village points, county decides
SYNC_FAST = {"BIANMIN_SYNC_SECONDS": "1"}


def case_row(home: Path, case_id: str) -> tuple | None:
    """(state, agency_code, case_number) of a case in a PC's database, read-only."""
    conn = sqlite3.connect(f"file:{home / 'township.db'}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(
            "SELECT state, agency_code, case_number FROM cases WHERE case_id = ?", [case_id]
        ).fetchone()
    finally:
        conn.close()


def entrustment_sha(home: Path, case_id: str) -> str:
    """The SHA-256 of a case's entrustment scan, from its projection."""
    conn = sqlite3.connect(f"file:{home / 'township.db'}?mode=ro", uri=True, timeout=10)
    try:
        state = json.loads(
            conn.execute("SELECT state_json FROM cases WHERE case_id = ?", [case_id]).fetchone()[0]
        )
    finally:
        conn.close()
    return next(m for m in state["materials"] if "委托书" in m["name"])["files"][0]["sha256"]


def state_of(home: Path, case_id: str) -> str | None:
    row = case_row(home, case_id)
    return row[0] if row else None


def test_village_application_is_accepted_at_the_township_and_the_village_sees_the_outcome(
    central: CentralProcess,
    central_home: Path,
    central_url_db: str,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
    enrolled_village_home: Callable[..., Path],
) -> None:
    township_home = enrolled_home(central.url)
    village_home = enrolled_village_home(central.url)
    township = TownshipProcess(township_home, env=SYNC_FAST).start()
    village = TownshipProcess(village_home, env=SYNC_FAST).start()
    try:
        agent = Browserless(village.url)
        agent.login("daiban")
        path = register_by_agent(agent, FORWARDED_ITEM)
        case_id = path.rsplit("/", 1)[1]
        page = agent.get(path)
        assert "待受理" in page.text and "东解甲庄村民委员会" in page.text
        assert "受理并打印回执" not in page.text  # window actions are not offered at a village PC
        state, agency, number = case_row(village_home, case_id)
        assert (state, agency) == ("draft", VILLAGE) and f"-{VILLAGE}-" in number

        # The application goes up and comes down into the township's "from villages" queue.
        wait_for(lambda: state_of(township_home, case_id) == "draft", what="the township gets it")
        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        home = clerk.get("/")
        assert "来自村代办点" in home.text and number in home.text
        listed = clerk.get("/cases/", params={"from": "villages"})
        assert number in listed.text
        # The entrustment the agent scanned comes down too: the clerk checks it before accepting.
        scan = f"{path}/scans/{entrustment_sha(village_home, case_id)}"
        wait_for(lambda: clerk.get(scan).status_code == 200, what="the entrustment scan")
        assert clerk.get(scan).content == PNG

        # The window accepts (the clock starts now) and the reviewer forwards to the county.
        accepted = clerk.post(path + "/accept")
        assert accepted.status_code == 200 and "受理回执" in accepted.text
        reviewer = Browserless(township.url)
        reviewer.login("shenhe")
        forwarded = reviewer.post(
            f"/review/{case_id}/forward", {"opinion": "入户核实，情况属实。", "conclusion": "agree"}
        )
        assert forwarded.status_code == 200, forwarded.text[:500]
        wait_for(lambda: central_case_state(central_db, number) == "forwarded", what="central")
        wait_for(lambda: state_of(village_home, case_id) == "forwarded", what="village sees it")
        assert "已上报" in agent.get(path).text

        # The county approves; the decision reaches both the township and the village.
        decide(
            central_home, central_url_db, number, "--approve", "--document-number",
            "莱民审〔2026〕31号", "--by-org", "370613", "--actor", "county-reviewer",
        )  # fmt: skip
        wait_for(lambda: state_of(township_home, case_id) == "decided", what="township decision")
        wait_for(lambda: state_of(village_home, case_id) == "decided", what="village decision")

        # Another village's agent cannot open the case by its URL, at the township PC.
        other = Browserless(township.url)
        other.login("daiban2", "demo-agent2-2026")
        assert other.get(path).status_code == 404
        assert number not in other.get("/cases/").text
    finally:
        village.stop()
        township.stop()
