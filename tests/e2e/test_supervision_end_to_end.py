"""Supervision end to end on a test clock: cases registered at a township on Monday 2 March 2026
go overdue by Tuesday 10 March; the warning shows on the clerk's home page (computed offline at the
township) and at central (recorded by `bianmin-central supervise`), it is notified once however
often the job runs, the rules issue a red card, and an appeal then a revoke leave their trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from central_api.stores.store import CentralStore
from central_api.stores.supervision_store import SupervisionStore
from tests.e2e.conftest import wait_for
from tests.support.central import CentralProcess, central_cli
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.reviewer import DEMO_PASSWORDS, PageSession
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework

MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in China


def two_cases(home: Path) -> dict[str, tuple[str, str]]:
    """One case registered and never decided, one accepted (promised in 3 working days): their
    ids and numbers."""
    store = open_migrated(home / "township.db")
    try:
        waiting = register(store, item_code=PROMISED_ITEM, now=MONDAY)
        accepted = register(store, item_code=PROMISED_ITEM, now=MONDAY)
        casework.accept_case(store, accepted, CLERK, MONDAY)
        return {
            name: (case_id, store.case(case_id).case_number)
            for name, case_id in (("waiting", waiting), ("accepted", accepted))
        }
    finally:
        store.close()


def test_overdue_cases_warn_at_the_township_and_central_once_with_a_red_card_and_appeal(
    central: CentralProcess,
    central_db: CentralStore,
    central_home: Path,
    central_url_db: str,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    cases = two_cases(home)
    waiting, accepted = cases["waiting"][1], cases["accepted"][1]
    env = {"BIANMIN_SYNC_SECONDS": "1", "BIANMIN_TODAY": "2026-03-10"}
    township = TownshipProcess(home, env=env).start()
    try:
        wait_for(
            lambda: all(central_db.case_state(case_id) for case_id, _ in cases.values()),
            what="both cases reach central",
        )
        # The clerk's home page: the township's own warnings, from its local log, offline.
        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        home_page = clerk.get("/").text
        section = home_page.split('id="warnings"', 1)[1].split("</section>", 1)[0]
        assert waiting in section and "受理决定" in section and "红色预警" in section
        assert accepted in section and "承诺时限" in section  # due Thursday 5 March

        # Central: the job records and notifies each warning once, however often it runs.
        first = central_cli(central_home, central_url_db, "supervise", "--today", "2026-03-10")
        second = central_cli(central_home, central_url_db, "supervise", "--today", "2026-03-10")
        assert "其中新增 0 项" not in first.stdout
        assert "其中新增 0 项" in second.stdout and "通知 0 条" in second.stdout
        sup = SupervisionStore(central_db)
        ours = [w for w in sup.open_warnings() if w["case_number"] in (waiting, accepted)]
        assert {(w["case_number"], w["stage"], w["level"]) for w in ours} >= {
            (waiting, "acceptance", "red")
        }
        assert all(w["notified_at"] for w in ours)
        supervisor = PageSession(central.url)
        supervisor.login("jiancha", DEMO_PASSWORDS["jiancha"])
        assert waiting in supervisor.get("/supervision/warnings/").text

        # The rules' red card, then the county's appeal and the supervisor's revoke.
        [card] = [c for c in sup.cards(["370613004"]) if c["case_number"] == waiting]
        assert (card["colour"], card["issued_by"], card["person"]) == ("red", "rule", "chuangkou")
        reviewer = PageSession(central.url)
        reviewer.login("xianshen", DEMO_PASSWORDS["xianshen"])
        path = f"/supervision/cards/{card['id']}"
        assert (
            reviewer.post(f"{path}/appeal", {"reason": "申请人当日未带齐材料"}).status_code == 303
        )
        assert supervisor.post(f"{path}/revoke", {"reason": "经核实情况属实"}).status_code == 303
        [after] = [c for c in sup.cards(["370613004"]) if c["id"] == card["id"]]
        assert after["state"] == "revoked"
        assert [(s["action"], s["actor"]) for s in after["trail"]] == [
            ("issued", "rule"),
            ("appealed", "xianshen"),
            ("revoked", "jiancha"),
        ]
        assert "经核实情况属实" in supervisor.get("/supervision/cards/").text
    finally:
        township.stop()
