"""The whole 差评 loop with a real central server and a real township app on loopback.

A resident gives a 差评 at the window while the PC is not syncing; the rating reaches central with
the next sync and opens a task there; the township's reviewer verifies and rectifies it on the
township's pages; the supervisor confirms it on central's pages; the confirmation comes down and the
township answers the applicant; the supervisor calls the applicant back from central's queue; and
central's kept figures count each step, equal to a recount of every case at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from central_api.stores import figure_store
from central_api.stores.store import CentralStore
from sync.events import utc_now
from sync.fold import CaseState
from sync.rating_figures import recount
from tests.e2e.conftest import wait_for
from tests.support.central import CentralProcess
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.reviewer import PageSession
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework
from township_app.casework.ratings import RatingForm, rate_case


def rated_badly_offline(home: Path) -> tuple[str, str, str]:
    """Register and accept a case and record a 差评 of its acceptance while no sync runs; return
    the case id, its number and the rating id."""
    store = open_migrated(home / "township.db")
    try:
        case_id = register(store, item_code=PROMISED_ITEM)
        casework.accept_case(store, case_id, CLERK, utc_now())
        form = RatingForm(level="very_dissatisfied", reasons=("attitude",), comment="态度生硬")
        state = rate_case(store, case_id, "acceptance", form, CLERK, utc_now())
        (task,) = state.rectifications
        return case_id, state.case_number, task["rating_id"]
    finally:
        store.close()


def township_task(home: Path, case_id: str) -> dict:
    store = open_migrated(home / "township.db")
    try:
        return dict(store.case(case_id).rectifications[0])
    finally:
        store.close()


def central_task(central_db: CentralStore, case_id: str) -> dict:
    state: CaseState | None = central_db.case_state(case_id)
    return dict(state.rectifications[0]) if state and state.rectifications else {}


def unit_figures(central_db: CentralStore, unit: str) -> Counter:
    """The kept figures of one unit, every month summed, by metric."""
    with central_db.reading() as c:
        kept = figure_store.kept_figures(c)
    totals: Counter = Counter()
    for (dimension, key, _month, metric), value in kept.items():
        if dimension == "unit" and key == unit:
            totals[metric] += value
    return totals


def test_a_bad_rating_is_verified_rectified_confirmed_answered_and_called_back(
    central: CentralProcess, central_db: CentralStore, enrolled_home: Callable[[str], Path]
) -> None:
    home = enrolled_home(central.url)
    case_id, number, rating_id = rated_badly_offline(home)
    org_code = township_task(home, case_id)["unit"]
    before = unit_figures(central_db, org_code)
    assert central_db.case_state(case_id) is None  # nothing went up while the PC did not sync

    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        wait_for(
            lambda: central_task(central_db, case_id).get("stage") == "verify",
            what="the 差评 reaches central and opens a task there",
        )
        supervisor = PageSession(central.url)
        supervisor.login("jiancha")
        listed = supervisor.get("/rectifications/")
        assert listed.status_code == 200 and number in listed.text

        reviewer = Browserless(township.url)
        reviewer.login("shenhe")
        done = reviewer.post(
            f"/rectifications/{case_id}/{rating_id}/verify", {"text": "调取窗口录像，情况属实"}
        )
        assert done.status_code == 200 and "已记录核实情况" in done.text
        done = reviewer.post(
            f"/rectifications/{case_id}/{rating_id}/rectify",
            {"upheld": "1", "text": "对窗口人员批评教育，规范服务用语"},
        )
        assert "已记录整改情况" in done.text
        wait_for(
            lambda: central_task(central_db, case_id).get("stage") == "review",
            what="the township's verification and rectification reach central",
        )

        # Out of order at central: a send-back without a reason is refused and changes nothing.
        refused = supervisor.post(
            f"/rectifications/{number}/{rating_id}/review", {"decision": "send_back", "text": ""}
        )
        assert refused.status_code in (409, 422) and "退回重新整改须说明理由" in refused.text
        assert central_task(central_db, case_id)["stage"] == "review"
        confirmed = supervisor.post(
            f"/rectifications/{number}/{rating_id}/review", {"decision": "confirm", "text": "同意"}
        )
        assert confirmed.status_code == 303
        wait_for(
            lambda: township_task(home, case_id)["stage"] == "answer",
            what="the supervisor's confirmation comes down to the township",
        )

        done = reviewer.post(
            f"/rectifications/{case_id}/{rating_id}/answer",
            {"method": "phone", "text": "已电话致歉并说明整改情况"},
        )
        assert "已记录反馈" in done.text
        wait_for(
            lambda: central_task(central_db, case_id).get("stage") == "callback",
            what="the answer reaches central",
        )

        # The supervisor calls back from central's queue: the phone shows only after the claim.
        queue = supervisor.get("/callbacks/")
        assert number in queue.text
        applicant_phone = central_db.case_state(case_id).applicant["phone"]
        assert applicant_phone not in queue.text
        claimed = supervisor.post(f"/callbacks/{number}/claim", {})
        assert claimed.status_code == 303
        call = supervisor.get(f"/callbacks/{number}")
        assert applicant_phone in call.text
        recorded = supervisor.post(
            f"/callbacks/{number}/record",
            {"rating_id": rating_id, "reached": "yes", "satisfied": "yes", "note": "满意"},
        )
        assert recorded.status_code == 303
        assert central_task(central_db, case_id)["stage"] == "closed"
        wait_for(
            lambda: township_task(home, case_id)["stage"] == "closed",
            what="the callback comes down and closes the township's task",
        )
    finally:
        township.stop()

    after = unit_figures(central_db, org_code)
    changed = {metric: after[metric] - before[metric] for metric in after | before}
    for metric in ("ratings", "bad", "tasks", "answered", "answered_on_time", "callbacks_due"):
        assert changed.get(metric) == 1, (metric, changed)
    assert changed.get("called_back") == 1 and changed.get("satisfied", 0) == 0
    # The kept figures are what a plain recount of every case gives.
    with central_db.reading() as c:
        kept = figure_store.kept_figures(c)
        states = list(figure_store.states_of_every_case(c))
        rules = central_db.figure_rules(c, [(None, state) for state in states])
        recounted = recount(states, rules)  # the calendar is read as the due days need it
    assert +kept == +recounted
