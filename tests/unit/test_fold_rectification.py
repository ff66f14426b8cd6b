"""The fold's rules for a 差评's rectification (核实 → 整改 → 审核 → 反馈 → 回访) and for callbacks:
each step in order, by the unit that handled the rated step, the review by central only; the task's
deadline on the working-day calendar; the callback sample drawn the same way everywhere."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from sync import events as ev
from sync import fold
from sync.case_state import TASK_ANSWER, TASK_CALLBACK, TASK_CLOSED, TASK_RECTIFY, TASK_VERIFY
from sync.deadlines import WorkingCalendar, YearCalendar
from sync.errors import InvalidInput, NotAllowed
from sync.rectification_rules import in_sample, is_overdue, task_due
from tests.unit.casefactory import CaseLog, registered_payload

COMPLETE = {"outcome": "approved", "document_number": "民〔2026〕1号"}


def bad_rating(step: str = "acceptance", **changes: Any) -> dict[str, Any]:
    return {
        "step": step,
        "scale_version": "national-2019",
        "level": "very_dissatisfied",
        "bad": True,
        "reasons": ["attitude"],
        "comment": "态度差",
        "channel": "window",
        "named": False,
        **changes,
    }


class Case:
    """A case's events from its township device, with central's events in between."""

    def __init__(self, kind: str = "promised") -> None:
        self.log = CaseLog()
        self.central_seq = 0
        self.log.add(ev.REGISTERED, registered_payload(kind))

    def add(self, event_type: str, payload: dict[str, Any]) -> fold.CaseState:
        self.log.add(event_type, payload)
        return fold.fold(self.log.events)

    def central(self, event_type: str, payload: dict[str, Any]) -> fold.CaseState:
        self.central_seq += 1
        self.log.moment += timedelta(hours=1)
        event = ev.new_event(
            case_id=self.log.case_id,
            writer=ev.CENTRAL_WRITER,
            writer_seq=self.central_seq,
            prev_hash=ev.GENESIS_HASH,
            actor="jiancha",
            type=event_type,
            payload=payload,
            at=self.log.moment,
        )
        self.log.events.append(event)
        return fold.fold(self.log.events)

    def refused(self, event_type: str, payload: dict[str, Any], *, central: bool = False) -> str:
        before = fold.fold(self.log.events)
        count = len(self.log.events)
        with pytest.raises((NotAllowed, InvalidInput)) as refusal:
            (self.central if central else self.add)(event_type, payload)
        del self.log.events[count:]
        assert fold.fold(self.log.events) == before
        return refusal.value.message


def rated_badly(step: str = "acceptance", kind: str = "promised") -> tuple[Case, str]:
    case = Case(kind)
    case.add(ev.ACCEPTED, {})
    if step == "result":
        case.add(ev.COMPLETED, COMPLETE)
    state = case.add(ev.RATED, bad_rating(step))
    return case, state.ratings[0]["rating_id"]


def test_a_bad_rating_opens_a_task_for_the_township_that_took_the_step() -> None:
    case, rating_id = rated_badly()
    state = fold.fold(case.log.events)
    (task,) = state.rectifications
    assert task["rating_id"] == rating_id and task["stage"] == TASK_VERIFY
    assert task["unit"] == state.org_code and task["step"] == "acceptance"
    assert task["opened_on"] == "2026-03-02"


def test_a_good_rating_opens_no_task() -> None:
    case = Case()
    case.add(ev.ACCEPTED, {})
    state = case.add(ev.RATED, bad_rating(level="satisfied", bad=False, reasons=[]))
    assert state.rectifications == ()


def test_the_whole_loop_runs_in_order_and_closes_when_the_applicant_is_reached() -> None:
    case, rid = rated_badly()
    state = case.add(ev.RECTIFICATION_VERIFIED, {"rating_id": rid, "text": "调取录像属实"})
    assert state.rectification(rid)["stage"] == TASK_RECTIFY
    state = case.add(ev.RECTIFIED, {"rating_id": rid, "upheld": True, "text": "已批评教育"})
    state = case.central(
        ev.RECTIFICATION_REVIEWED, {"rating_id": rid, "confirmed": True, "by_org": "370602"}
    )
    assert state.rectification(rid)["stage"] == TASK_ANSWER
    state = case.add(
        ev.RECTIFICATION_ANSWERED, {"rating_id": rid, "method": "phone", "text": "已致歉"}
    )
    assert state.rectification(rid)["stage"] == TASK_CALLBACK
    state = case.add(
        ev.CALLED_BACK, {"purpose": "rectification", "rating_id": rid, "reached": False}
    )
    assert state.rectification(rid)["stage"] == TASK_CALLBACK
    state = case.add(
        ev.CALLED_BACK,
        {"purpose": "rectification", "rating_id": rid, "reached": True, "satisfied": True},
    )
    task = state.rectification(rid)
    assert task["stage"] == TASK_CLOSED and [c["reached"] for c in task["callbacks"]] == [
        False,
        True,
    ]
    assert task["answered"]["on"] == "2026-03-02" and task["verified"]["by"] == "chuangkou"


def test_a_step_out_of_order_is_refused_and_changes_nothing() -> None:
    case, rid = rated_badly()
    message = case.refused(ev.RECTIFIED, {"rating_id": rid, "upheld": True, "text": "已整改"})
    assert message == "这条差评当前「待核实」，不能「差评整改」。"
    message = case.refused(
        ev.RECTIFICATION_ANSWERED, {"rating_id": rid, "method": "phone", "text": "已答复"}
    )
    assert message == "这条差评当前「待核实」，不能「差评反馈」。"
    message = case.refused(
        ev.CALLED_BACK, {"purpose": "rectification", "rating_id": rid, "reached": False}
    )
    assert message == "这条差评当前「待核实」，不能「回访」。"


def test_only_central_reviews_and_a_sent_back_rectification_is_done_again() -> None:
    case, rid = rated_badly()
    case.add(ev.RECTIFICATION_VERIFIED, {"rating_id": rid, "text": "核实"})
    case.add(ev.RECTIFIED, {"rating_id": rid, "upheld": False, "text": "不属实"})
    message = case.refused(
        ev.RECTIFICATION_REVIEWED, {"rating_id": rid, "confirmed": True, "by_org": "370602"}
    )
    assert message == "只有监察人员才能审核整改。"
    message = case.refused(
        ev.RECTIFICATION_REVIEWED,
        {"rating_id": rid, "confirmed": False, "by_org": "370602"},
        central=True,
    )
    assert message == "退回重新整改须说明理由。"
    state = case.central(
        ev.RECTIFICATION_REVIEWED,
        {"rating_id": rid, "confirmed": False, "text": "理由不充分", "by_org": "370602"},
    )
    assert state.rectification(rid)["stage"] == TASK_RECTIFY
    state = case.add(ev.RECTIFIED, {"rating_id": rid, "upheld": True, "text": "补充整改"})
    assert state.rectification(rid)["rectified"]["upheld"] is True


def test_central_may_not_record_a_townships_steps() -> None:
    case, rid = rated_badly()
    message = case.refused(
        ev.RECTIFICATION_VERIFIED, {"rating_id": rid, "text": "核实"}, central=True
    )
    assert "其他单位不能代为登记" in message


def test_the_result_of_a_case_decided_above_is_rectified_by_the_deciding_unit() -> None:
    case = Case("forwarded")
    case.add(ev.ACCEPTED, {})
    case.add(ev.FORWARDED, {"opinion": "同意", "conclusion": "agree", "to_org": "370602"})
    case.central(ev.DECIDED, {"outcome": "approved", "by_org": "370602"})
    case.add(ev.DELIVERED, {"method": "window", "recipient": "张三"})
    case.add(ev.COMPLETED, COMPLETE)
    state = case.add(ev.RATED, bad_rating("result"))
    (task,) = state.rectifications
    assert task["unit"] == "370602"
    rid = task["rating_id"]
    assert "其他单位" in case.refused(ev.RECTIFICATION_VERIFIED, {"rating_id": rid, "text": "x"})
    state = case.central(ev.RECTIFICATION_VERIFIED, {"rating_id": rid, "text": "县局核实"})
    assert state.rectification(rid)["stage"] == TASK_RECTIFY


def test_unknown_rating_and_bad_fields_are_refused_clearly() -> None:
    case, rid = rated_badly()
    assert case.refused(ev.RECTIFICATION_VERIFIED, {"rating_id": "nope", "text": "x"}) == (
        "该办件没有这条差评。"
    )
    assert case.refused(ev.RECTIFICATION_VERIFIED, {"rating_id": rid}) == "请填写核实情况。"
    case.add(ev.RECTIFICATION_VERIFIED, {"rating_id": rid, "text": "核实"})
    assert case.refused(ev.RECTIFIED, {"rating_id": rid, "upheld": "yes", "text": "x"}) == (
        "请选择差评是否属实。"
    )


def test_a_callback_records_satisfaction_only_when_the_applicant_was_reached() -> None:
    case = Case()
    case.add(ev.ACCEPTED, {})
    assert case.refused(ev.CALLED_BACK, {"purpose": "sample", "reached": False}) == (
        "只有已办结的办件才能抽样回访。"
    )
    case.add(ev.COMPLETED, COMPLETE)
    assert "是否满意" in case.refused(ev.CALLED_BACK, {"purpose": "sample", "reached": True})
    assert "不能记录是否满意" in case.refused(
        ev.CALLED_BACK, {"purpose": "sample", "reached": False, "satisfied": True}
    )
    case.add(ev.CALLED_BACK, {"purpose": "sample", "reached": False, "note": "无人接听"})
    state = case.add(ev.CALLED_BACK, {"purpose": "sample", "reached": True, "satisfied": False})
    assert [c["reached"] for c in state.callbacks] == [False, True]
    assert case.refused(ev.CALLED_BACK, {"purpose": "sample", "reached": False}) == (
        "这个办件已经回访过了（已联系上申请人），不需要再回访。"
    )


def test_the_deadline_counts_working_days_and_skips_holidays() -> None:
    task = {"opened_on": "2026-09-30", "answered": None}
    # A published 2026 calendar: the National Day holiday 10-01..10-08, Saturday 10-10 worked.
    year = YearCalendar(
        year=2026,
        version=1,
        source="test",
        holidays=frozenset(date(2026, 10, d) for d in range(1, 9)),
        workdays=frozenset({date(2026, 10, 10)}),
    )
    calendar = WorkingCalendar([year])
    # 10-09 (Fri), 10-10 (Sat, worked), 10-12, 10-13, 10-14
    assert task_due(task, 5, calendar) == date(2026, 10, 14)
    assert not is_overdue(task, date(2026, 10, 14), date(2026, 10, 14))
    assert is_overdue(task, date(2026, 10, 14), date(2026, 10, 15))
    answered = {**task, "answered": {"on": "2026-10-15"}}
    assert is_overdue(answered, date(2026, 10, 14), date(2026, 10, 15))


def test_the_callback_sample_is_reproducible_and_near_its_share() -> None:
    ids = [f"case-{n}" for n in range(5000)]
    drawn = [case_id for case_id in ids if in_sample(case_id, 10)]
    assert drawn == [case_id for case_id in ids if in_sample(case_id, 10)]
    assert 400 <= len(drawn) <= 600
    assert not any(in_sample(case_id, 0) for case_id in ids)
    assert all(in_sample(case_id, 100) for case_id in ids)
