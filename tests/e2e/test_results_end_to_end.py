"""Results back at the window with a real central server on loopback: a decision taken at central
comes down, the window delivers and completes the case, and the completion goes up; a complaint
registered at the window goes up, is answered at central, and the answer shows at the window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from central_api import keys
from central_api.review import decisions
from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from sync.events import utc_now
from tests.e2e.conftest import wait_for
from tests.e2e.test_sync_end_to_end import case_state, central_case_state, township_row
from tests.support.cases import queue_forwarded_cases
from tests.support.central import CentralProcess
from tests.support.township import Browserless, TownshipProcess


def central_event_types(store: CentralStore, case_number: str) -> list[tuple[str, str]]:
    """The (type, event id) of a case's events at central, in log order."""
    with store.engine.connect() as c:
        case_id = c.execute(
            select(t.cases.c.case_id).where(t.cases.c.case_number == case_number)
        ).scalar()
        rows = c.execute(
            select(t.events.c.type, t.events.c.event_id, t.events.c.status)
            .where(t.events.c.case_id == case_id)
            .order_by(t.events.c.seq)
        )
        return [(r[0], r[1]) for r in rows if r[2] == "applied"]


def test_a_decision_from_central_is_delivered_and_completed_and_a_complaint_is_answered(
    central: CentralProcess,
    central_home: Path,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    [number] = queue_forwarded_cases(home, 1, seed=51)
    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        wait_for(lambda: central_case_state(central_db, number) == "forwarded", what="forward up")
        central_key = keys.load_or_create(central_home)
        decisions.decide_case(
            central_db, central_key, number, outcome="approved", by_org="370613",
            actor="xianshen", now=utc_now(), document_number="莱民审〔2026〕88号",
        )  # fmt: skip
        wait_for(lambda: case_state(home, number) == "decided", what="the decision comes down")
        case_id = township_row(home, "SELECT case_id FROM cases WHERE case_number = ?", (number,))[
            0
        ]

        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        assert number in clerk.get("/results/").text
        notice = clerk.get(f"/cases/{case_id}/decision-notice").text
        assert "准予批准决定书" in notice and "莱民审〔2026〕88号" in notice
        done = clerk.post(
            f"/results/{case_id}/deliver",
            {"method": "window", "recipient": "申请人本人", "note": "", "then": "complete"},
        )
        assert done.status_code == 200 and "已送达并办结" in done.text
        wait_for(
            lambda: central_case_state(central_db, number) == "completed",
            what="the completion reaches central",
        )
        types = [kind for kind, _ in central_event_types(central_db, number)]
        assert types[-3:] == ["decided", "delivered", "completed"]

        # A complaint registered at the window goes up with the next bundle.
        made = clerk.post(
            f"/petitions/cases/{case_id}",
            {"kind": "complaint", "text": "通知领取结果不及时。", "contact": "13905351234"},
        )
        assert made.status_code == 200 and "待答复" in made.text
        petition_id = township_row(
            home,
            "SELECT event_id FROM events WHERE case_id = ? AND type = 'petitioned'",
            (case_id,),
        )[0]
        wait_for(
            lambda: ("petitioned", petition_id) in central_event_types(central_db, number),
            what="the complaint reaches central",
        )
        decisions.answer_petition(
            central_db, central_key, number, petition_id=petition_id,
            answer="已约谈窗口负责人，今后结果出具当日短信通知。", by_org="370613",
            units=frozenset({"370613004"}), actor="jiancha", now=utc_now(),
        )  # fmt: skip
        wait_for(
            lambda: "今后结果出具当日短信通知" in clerk.get(f"/cases/{case_id}").text,
            what="the answer comes down to the case page",
        )
        assert "已答复" in clerk.get("/petitions/?status=answered").text
        assert "共 0 件" in clerk.get("/petitions/?status=open").text
    finally:
        township.stop()
