"""差评整改, 电话回访 and the kept 好差评 figures at the township, on a real SQLite file: the steps go
through the one write path in order and a refused one writes nothing; a call is taken by one caller
at a time and its claim lapses; the kept figures equal a recount whatever origin the events came
from; m010 fills the tables from the cases already there."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from sync import case_figures
from sync import events as ev
from sync.case_state import TASK_CALLBACK, TASK_CLOSED, TASK_RECTIFY, TASK_REVIEW
from sync.errors import Conflict, InvalidInput, NotAllowed
from sync.events import new_event, utc_now
from sync.fold import CaseState
from sync.rating_figures import recount
from sync.rating_scale import DEFAULT_SCALE, parse_scale
from sync.rectification_rules import in_sample
from tests.support.results import (
    CLERK,
    COUNTY,
    PROMISED_ITEM,
    REVIEWER,
    Above,
    decided_case,
    register,
)
from township_app.casework import (
    callbacks,
    case_log,
    casework,
    kept_figures,
    rectification,
    results,
)
from township_app.casework.ratings import RatingForm, rate_case
from township_app.stores.migrations import migrations
from township_app.stores.store import Store

CLERK2 = casework.Actor("chuangkou2", "clerk", "370613004")
UNIT = "370613004"


def completed(store: Store) -> str:
    case_id = register(store, item_code=PROMISED_ITEM)
    casework.accept_case(store, case_id, CLERK, utc_now())
    casework.complete_case(
        store,
        case_id,
        outcome="approved",
        document_number="",
        reasons="",
        note="",
        actor=CLERK,
        now=utc_now(),
    )
    return case_id


def rated_badly(store: Store, *, step: str = "acceptance", named: bool = False) -> tuple[str, str]:
    case_id = completed(store)
    form = RatingForm(
        level="very_dissatisfied",
        reasons=("attitude",),
        comment="态度差",
        named=named,
        rater_name="王秀英" if named else "",
        rater_phone="13800001111" if named else "",
    )
    state = rate_case(store, case_id, step, form, CLERK, utc_now())
    return case_id, state.rectifications[-1]["rating_id"]


def rated_well(store: Store, case_id: str, step: str = "result") -> None:
    rate_case(store, case_id, step, RatingForm(level="satisfied"), CLERK, utc_now())


def review(above: Above, case_id: str, rating_id: str, confirmed: bool, text: str = "") -> None:
    payload = {"rating_id": rating_id, "confirmed": confirmed, "text": text, "by_org": COUNTY}
    above.write(case_id, ev.RECTIFICATION_REVIEWED, payload, "jiancha")


def all_states(store: Store) -> list[CaseState]:
    return [CaseState.from_dict(json.loads(raw)) for raw in store.figures.case_states_json()]


def assert_kept_equals_recount(store: Store) -> None:
    rules = kept_figures.figure_rules(store)
    assert store.figures.figures() == dict(recount(all_states(store), rules))
    casework = case_figures.recount(all_states(store), kept_figures.case_figure_rules(store))
    assert store.figures.case_figures() == {k: v for k, v in casework.items() if v}


def answered_task(store: Store, above: Above) -> tuple[str, str]:
    case_id, rating_id = rated_badly(store)
    now = utc_now()
    rectification.verify_task(store, case_id, rating_id, "查看录像，属实。", REVIEWER, now)
    rectification.rectify_task(
        store, case_id, rating_id, upheld="1", text="已批评教育。", actor=REVIEWER, now=now
    )
    review(above, case_id, rating_id, True)
    rectification.answer_task(
        store, case_id, rating_id, method="phone", text="已电话致歉。", actor=REVIEWER, now=now
    )
    return case_id, rating_id


def test_a_bad_rating_opens_a_task_row_with_its_due_day_and_the_steps_go_in_order(store):
    above = Above(store)
    case_id, rating_id = rated_badly(store)
    [row] = store.figures.tasks(unit=UNIT)
    assert (row["case_id"], row["stage"], row["level"]) == (case_id, "verify", "very_dissatisfied")
    task = store.case(case_id).rectification(rating_id)
    assert row["due_on"] == kept_figures.figure_rules(store).due(task).isoformat()
    assert row["staff"] == f"{UNIT}/chuangkou" and row["answered_on"] is None
    now = utc_now()
    rectification.verify_task(store, case_id, rating_id, "查看录像。", REVIEWER, now)
    assert store.figures.tasks(unit=UNIT)[0]["stage"] == TASK_RECTIFY
    rectification.rectify_task(
        store, case_id, rating_id, upheld="0", text="经核实不属实。", actor=REVIEWER, now=now
    )
    assert store.figures.stage_counts(unit=UNIT) == {TASK_REVIEW: 1}
    review(above, case_id, rating_id, False, "理由不充分")
    assert store.figures.tasks(unit=UNIT)[0]["stage"] == TASK_RECTIFY
    rectification.rectify_task(
        store, case_id, rating_id, upheld="1", text="已整改。", actor=REVIEWER, now=now
    )
    review(above, case_id, rating_id, True)
    rectification.answer_task(
        store, case_id, rating_id, method="sms", text="已短信答复。", actor=REVIEWER, now=now
    )
    [row] = store.figures.tasks(unit=UNIT)
    assert row["stage"] == TASK_CALLBACK and row["answered_on"] is not None
    assert [q["purpose"] for q in store.figures.case_queue(case_id)] == ["rectification"]
    assert_kept_equals_recount(store)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("rectify", "这条差评当前「待核实」，不能「差评整改」。"),
        ("answer", "这条差评当前「待核实」，不能「差评反馈」。"),
        ("empty", "请填写核实情况。"),
        ("clerk", "无权"),
        ("no_such_rating", "该办件没有这条差评。"),
    ],
)
def test_a_refused_step_says_why_in_chinese_and_writes_nothing(store, step, message):
    case_id, rating_id = rated_badly(store)
    before = (store.event_count(), store.case(case_id), store.figures.figures())
    now = utc_now()
    attempts = {
        "rectify": lambda: rectification.rectify_task(
            store, case_id, rating_id, upheld="1", text="x", actor=REVIEWER, now=now
        ),
        "answer": lambda: rectification.answer_task(
            store, case_id, rating_id, method="phone", text="x", actor=REVIEWER, now=now
        ),
        "empty": lambda: rectification.verify_task(store, case_id, rating_id, "  ", REVIEWER, now),
        "clerk": lambda: rectification.verify_task(store, case_id, rating_id, "x", CLERK, now),
        "no_such_rating": lambda: rectification.verify_task(
            store, case_id, "nope", "x", REVIEWER, now
        ),
    }
    with pytest.raises((InvalidInput, NotAllowed)) as refusal:
        attempts[step]()
    assert message in refusal.value.message
    assert (store.event_count(), store.case(case_id), store.figures.figures()) == before


def test_the_rectify_step_asks_whether_the_rating_is_upheld(store):
    case_id, rating_id = rated_badly(store)
    rectification.verify_task(store, case_id, rating_id, "核实。", REVIEWER, utc_now())
    count = store.event_count()
    with pytest.raises(InvalidInput, match="请选择差评是否属实"):
        rectification.rectify_task(
            store, case_id, rating_id, upheld="", text="已整改", actor=REVIEWER, now=utc_now()
        )
    assert store.event_count() == count


def test_one_caller_at_a_time_and_a_claim_lapses_after_two_hours(store):
    case_id, rating_id = answered_task(store, Above(store))
    now = utc_now()
    callbacks.claim_call(store, case_id, CLERK, now)
    with pytest.raises(Conflict, match="王丽 正在回访这个办件"):
        callbacks.claim_call(store, case_id, CLERK2, now + timedelta(minutes=30))
    with pytest.raises(NotAllowed, match="请先点「我来回访」认领"):
        callbacks.record_callback(
            store,
            case_id,
            rating_id,
            reached="1",
            satisfied="1",
            note="",
            actor=CLERK2,
            now=now + timedelta(minutes=31),
        )
    later = now + timedelta(hours=2, minutes=1)
    callbacks.claim_call(store, case_id, CLERK2, later)  # the first claim lapsed
    assert store.figures.claim(case_id)["username"] == "chuangkou2"
    with pytest.raises(NotAllowed, match="请先点「我来回访」认领"):
        callbacks.record_callback(
            store, case_id, rating_id, reached="1", satisfied="1", note="", actor=CLERK, now=later
        )


def test_a_callback_not_reached_stays_in_the_queue_and_a_reached_one_closes_the_task(store):
    case_id, rating_id = answered_task(store, Above(store))
    now = utc_now()
    callbacks.claim_call(store, case_id, CLERK, now)
    with pytest.raises(InvalidInput, match="请记录申请人是否满意"):
        callbacks.record_callback(
            store, case_id, rating_id, reached="1", satisfied="", note="", actor=CLERK, now=now
        )
    callbacks.record_callback(
        store, case_id, rating_id, reached="0", satisfied="1", note="无人接听", actor=CLERK, now=now
    )
    task = store.case(case_id).rectification(rating_id)
    assert task["callbacks"][-1]["satisfied"] is None  # a tick left from before is dropped
    assert store.figures.claim(case_id) is None  # let go with the attempt
    [row] = store.figures.case_queue(case_id)
    assert row["attempts"] == 1
    callbacks.claim_call(store, case_id, CLERK, now)
    state = callbacks.record_callback(
        store, case_id, rating_id, reached="1", satisfied="1", note="满意", actor=CLERK, now=now
    )
    assert state.rectification(rating_id)["stage"] == TASK_CLOSED
    assert store.figures.case_queue(case_id) == [] and store.figures.claim(case_id) is None
    assert_kept_equals_recount(store)


def test_the_phone_to_call_is_the_named_raters_own(store):
    case_id, rating_id = rated_badly(store, named=True)
    state = store.case(case_id)
    assert callbacks.callee_phone(state, rating_id) == "13800001111"
    assert callbacks.callee_phone(state, "") == "13905351234"


def install_scale(store: Store, percent: int) -> None:
    body = {**DEFAULT_SCALE.to_dict(), "version": f"test-{percent}"}
    body["callback_sample_percent"] = percent
    with store.write():
        serial = store.rating_scale_serial() + 1
        store.install_rating_scale(parse_scale(body), serial, published_at=None, at="2026-12-07")
        kept_figures.refigure(store)  # as the feed does when it installs a scale


def test_completed_cases_of_the_sample_wait_for_a_callback_until_reached(store):
    install_scale(store, 100)
    case_id = completed(store)
    [row] = store.figures.case_queue(case_id)
    assert (row["purpose"], row["rating_id"]) == ("sample", "")
    callbacks.claim_call(store, case_id, CLERK, utc_now())
    callbacks.record_callback(
        store, case_id, "", reached="1", satisfied="0", note="", actor=CLERK, now=utc_now()
    )
    assert store.figures.case_queue(case_id) == []
    with pytest.raises(NotAllowed, match="这个办件现在不需要回访"):
        callbacks.claim_call(store, case_id, CLERK, utc_now())
    assert_kept_equals_recount(store)


def test_a_share_of_zero_leaves_no_sample_and_a_new_scale_counts_the_figures_afresh(store):
    install_scale(store, 0)
    case_id = completed(store)
    assert store.figures.case_queue(case_id) == [] and not in_sample(case_id, 0)
    install_scale(store, 100)
    assert store.figures.case_queue(case_id)[0]["purpose"] == "sample"
    assert_kept_equals_recount(store)


def village_registration(store: Store, case_id: str, writer: str) -> ev.Event:
    from tests.unit.test_township_case_log import casework_registered_payload

    payload = casework_registered_payload(store, org_code=UNIT, agency="370613004201")
    payload["case_number"] = payload["case_number"][:-1] + case_id[-1]
    return new_event(
        case_id=case_id,
        writer=writer,
        writer_seq=1,
        prev_hash=ev.GENESIS_HASH,
        actor="daiban",
        type=ev.REGISTERED,
        payload=payload,
        at=utc_now(),
    )


def test_kept_figures_equal_a_recount_after_own_central_fed_and_relayed_events(store):
    install_scale(store, 50)
    above = Above(store)
    # Own: completed cases rated well and badly, a task through every stage, a sample callback.
    for _ in range(4):
        rated_well(store, completed(store))
    case_id, rating_id = answered_task(store, above)
    callbacks.claim_call(store, case_id, REVIEWER, utc_now())
    callbacks.record_callback(
        store,
        case_id,
        rating_id,
        reached="1",
        satisfied="1",
        note="",
        actor=REVIEWER,
        now=utc_now(),
    )
    rated_badly(store)
    # Central's: a decided case completed here, rated online (a 差评 for the county), reviewed.
    decided = decided_case(store, above)
    results.deliver_and_complete(
        store, decided, method="window", recipient="王秀英", note="", actor=CLERK, now=utc_now()
    )
    online = {
        "step": "result",
        "scale_version": "test-50",
        "level": "dissatisfied",
        "bad": True,
        "reasons": [],
        "comment": "",
        "channel": "online",
        "named": False,
    }
    above.write(decided, ev.RATED, online, "public")
    # Relayed (a village application from a stick) and fed (one central carried down from another
    # village PC): accepted, completed and rated here, one well and one badly.
    relayed = village_registration(store, "village-case-1", "village-pc-1")
    fed = village_registration(store, "village-case-2", "village-pc-2")
    assert case_log.write_event(store, relayed, case_log.Origin.RELAYED)
    assert case_log.write_event(store, fed, case_log.Origin.FEED)
    for case_id in ("village-case-1", "village-case-2"):
        casework.accept_case(store, case_id, CLERK, utc_now())
        casework.complete_case(
            store,
            case_id,
            outcome="approved",
            document_number="",
            reasons="",
            note="",
            actor=CLERK,
            now=utc_now(),
        )
    rated_well(store, "village-case-1")
    rate_case(store, "village-case-2", "result", RatingForm(level="dissatisfied"), CLERK, utc_now())
    assert store.figures.figures()  # not vacuous
    assert_kept_equals_recount(store)


def test_m010_fills_the_kept_tables_from_the_cases_already_there(store):
    above = Above(store)
    answered_task(store, above)
    rated_badly(store)
    rated_well(store, completed(store))
    kept = (
        store.figures.figures(),
        store.figures.tasks(unit=UNIT),
        store.figures.callback_queue(org_code=UNIT),
    )
    with store.write():
        for table in ("rating_figures", "rectification_tasks", "callback_queue", "callback_claims"):
            store.db.execute(f"DROP TABLE {table}")
        store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm010_rating_figures'")
    migrations.apply(store.db)
    assert (
        kept[0]
        and (
            store.figures.figures(),
            store.figures.tasks(unit=UNIT),
            store.figures.callback_queue(org_code=UNIT),
        )
        == kept
    )


def test_m013_fills_the_casework_figures_from_the_cases_already_there(store):
    above = Above(store)
    answered_task(store, above)
    kept = store.figures.case_figures()
    with store.write():
        store.db.execute("DROP TABLE case_figures")
        store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm013_case_figures'")
    migrations.apply(store.db)
    assert any(key[3] == "completed" for key in kept)
    assert store.figures.case_figures() == kept
    assert_kept_equals_recount(store)


def test_a_callback_from_central_empties_the_queue_and_the_claim_goes_with_it(store):
    above = Above(store)
    case_id, rating_id = answered_task(store, above)
    callbacks.claim_call(store, case_id, CLERK, utc_now())
    payload = {
        "purpose": "rectification",
        "rating_id": rating_id,
        "reached": True,
        "satisfied": True,
        "note": "中心回访",
    }
    above.write(case_id, ev.CALLED_BACK, payload, "jiancha")
    assert store.figures.case_queue(case_id) == [] and store.figures.claim(case_id) is None
    assert_kept_equals_recount(store)
