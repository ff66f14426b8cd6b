"""Extensions (延期, §42), excluded time (特别程序, §45) and stage limits (§43): the fold's rules and
the clock they move, with due dates worked by hand across 国庆 2026 and 春节 2026.

2026 as the State Council's notice has it (chinesecalendar): 春节 rest 02-15 … 02-23, worked Saturdays
02-14 and 02-28; 中秋 rest 09-25; 国庆 rest 10-01 … 10-07, worked Sunday 09-20 and Saturday 10-10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from sync import events as ev
from sync import fold
from sync.case_clock import case_deadline, promised_completion
from sync.case_figures import calendar_rules
from sync.case_state import CaseState
from sync.catalogue_rules import BadCatalogue, check_catalogue
from sync.clock_rules import stage_clocks
from sync.deadlines import WorkingCalendar
from sync.errors import InvalidInput, NotAllowed
from tests.unit.casefactory import registered_payload

TOWNSHIP = "370613004"
COUNTY = "370613"


class Case:
    """One case's events, each on a day of its own (10:00 China time), from the township device or
    from central."""

    def __init__(self, kind: str = "promised", **item: Any) -> None:
        self.events: list[ev.Event] = []
        payload = registered_payload(kind)
        payload["item"].update(item)
        self.add("2026-01-05", ev.REGISTERED, payload)

    def add(
        self,
        day: str,
        event_type: str,
        payload: dict[str, Any] | None = None,
        *,
        actor: str = "shenhe",
        central: bool = False,
    ) -> CaseState:
        moment = datetime.fromisoformat(day).replace(hour=2, minute=len(self.events), tzinfo=UTC)
        event = ev.new_event(
            case_id="case-1",
            writer=ev.CENTRAL_WRITER if central else "device-1",
            writer_seq=len(self.events) + 1,
            prev_hash=ev.GENESIS_HASH,
            actor=actor,
            type=event_type,
            payload=payload or {},
            at=moment,
        )
        self.events.append(event)
        return fold.fold(self.events)

    def try_add(self, *args: Any, **kwargs: Any) -> None:
        """Add an event the fold must refuse; the refused event is not kept."""
        try:
            self.add(*args, **kwargs)
        finally:
            self.events.pop()

    def ask(self, day: str, days: int, *, actor: str = "shenhe", org: str = TOWNSHIP,
            central: bool = False) -> CaseState:  # fmt: skip
        return self.add(
            day,
            ev.EXTENSION_REQUESTED,
            {"days": days, "reason": "需实地核查", "by_org": org},
            actor=actor,
            central=central,
        )

    def approve(self, day: str, *, approved: bool = True, role: str = "head",
                actor: str = "fuzeren", org: str = TOWNSHIP, central: bool = False,
                note: str = "") -> CaseState:  # fmt: skip
        request_id = fold.fold(self.events).extensions[-1]["request_id"]
        payload = {"request_id": request_id, "approved": approved, "note": note, "role": role,
                   "by_org": org}  # fmt: skip
        return self.add(day, ev.EXTENSION_DECIDED, payload, actor=actor, central=central)

    def start(self, day: str, kind: str = "hearing", *, org: str = TOWNSHIP,
              central: bool = False) -> CaseState:  # fmt: skip
        payload = {"kind": kind, "reason": "申请人要求听证", "by_org": org}
        return self.add(day, ev.EXCLUDED_TIME_STARTED, payload, central=central)

    def end(self, day: str, *, org: str = TOWNSHIP, central: bool = False) -> CaseState:
        payload = {"note": "听证已举行", "by_org": org}
        return self.add(day, ev.EXCLUDED_TIME_ENDED, payload, central=central)


def accepted(day: str, kind: str = "promised", **item: Any) -> Case:
    case = Case(kind, **item)
    case.add(day, ev.ACCEPTED, actor="chuangkou")
    return case


# The clock across the holidays, worked by hand -----------------------------------------------------


def test_an_approved_extension_moves_the_due_date_across_national_day() -> None:
    # Accepted Mon 09-28, 5 working days: 09-29, 09-30, 10-08, 10-09, Sat 10-10 (worked) → 10-10.
    case = accepted("2026-09-28", promised_days=5)
    assert promised_completion(fold.fold(case.events)) == date(2026, 10, 10)
    case.ask("2026-09-29", 3)
    # Asked, not yet approved: nothing moves.
    assert promised_completion(fold.fold(case.events)) == date(2026, 10, 10)
    state = case.approve("2026-09-30")
    # 3 more: 10-12, 10-13, 10-14.
    assert promised_completion(state) == date(2026, 10, 14)
    status = case_deadline(state, date(2026, 10, 9))
    assert status is not None and status.due_on == date(2026, 10, 14)
    assert (status.days_used, status.days_left) == (4, 4)  # 09-29, 09-30, 10-08, 10-09 of 8


def test_a_refused_extension_moves_nothing() -> None:
    case = accepted("2026-09-28", promised_days=5)
    case.ask("2026-09-29", 3)
    state = case.approve("2026-09-30", approved=False, note="理由不充分")
    assert promised_completion(state) == date(2026, 10, 10)
    assert state.extensions[0]["decision"]["approved"] is False


def test_excluded_time_over_national_day_pauses_only_its_working_days() -> None:
    case = accepted("2026-09-28", promised_days=5)
    case.start("2026-09-29", "appraisal")
    state = case.end("2026-10-09")
    # Paused: the working days after 09-29 up to 10-09: 09-30, 10-08, 10-09 = 3, so 5 + 3 = 8
    # working days after 09-28: 09-29, 09-30, 10-08, 10-09, 10-10, 10-12, 10-13, 10-14.
    assert promised_completion(state) == date(2026, 10, 14)
    status = case_deadline(state, date(2026, 10, 12))
    assert status is not None and status.light == "green"
    assert (status.due_on, status.days_used, status.days_left) == (date(2026, 10, 14), 3, 2)


def test_extension_and_excluded_time_together_across_national_day() -> None:
    case = accepted("2026-09-28", promised_days=5)
    case.start("2026-09-29")
    case.end("2026-10-09")
    case.ask("2026-10-09", 3)
    state = case.approve("2026-10-09")
    # 5 + 3 extended + 3 paused = 11 working days after 09-28: … 10-14 (8), 10-15, 10-16, 10-19.
    assert promised_completion(state) == date(2026, 10, 19)
    assert case_deadline(state, date(2026, 10, 19)).message == "今日到期"


def test_excluded_time_over_spring_festival_pauses_the_clock_and_says_why() -> None:
    # Accepted Thu 02-12, 5 working days: 02-13, Sat 02-14 (worked), 02-24, 02-25, 02-26.
    case = accepted("2026-02-12", promised_days=5)
    assert promised_completion(fold.fold(case.events)) == date(2026, 2, 26)
    state = case.start("2026-02-13")
    # On 02-24, elapsed 02-13, 02-14, 02-24 = 3; paused after 02-13: 02-14, 02-24 = 2; used 1.
    status = case_deadline(state, date(2026, 2, 24))
    assert status is not None and status.light == "paused"
    assert status.days_left == 4
    assert status.message == "暂停计时（特别程序：听证），剩余4个工作日"
    # The receipt's date moves when the excluded time ends, not while it runs.
    assert promised_completion(state) == date(2026, 2, 26)
    state = case.end("2026-02-25")
    # Paused 02-14, 02-24, 02-25 = 3: 8 working days: … 02-26 (5), 02-27, Sat 02-28, Mon 03-02.
    assert promised_completion(state) == date(2026, 3, 2)
    status = case_deadline(state, date(2026, 2, 27))
    assert status is not None and status.light == "green" and status.days_left == 2


def test_ten_days_extension_after_the_spring_festival_hearing() -> None:
    case = accepted("2026-02-12", promised_days=5)
    case.start("2026-02-13")
    case.end("2026-02-25")
    case.ask("2026-02-26", 10)
    state = case.approve("2026-02-26")
    # 03-02 (8 of 18), then 03-03 … 03-06 (12), 03-09 … 03-13 (17), 03-16 (18).
    assert promised_completion(state) == date(2026, 3, 16)


def test_a_supplement_during_excluded_time_does_not_count_the_same_days_twice() -> None:
    case = accepted("2026-09-28", promised_days=5)
    case.start("2026-09-29")
    case.add(
        "2026-09-30", ev.SUPPLEMENT_REQUESTED, {"missing": [{"code": "M02", "name": "委托书"}]}
    )
    case.add("2026-10-08", ev.SUPPLEMENT_RECEIVED, {"materials": [{"code": "M02"}]})
    state = case.end("2026-10-09")
    # The supplement's pause (09-30, 10-08] lies within the excluded time (09-29, 10-09]: 3 days.
    status = case_deadline(state, date(2026, 10, 12))
    assert status is not None and status.due_on == date(2026, 10, 14)


# Refusals, with the clerk's reason -----------------------------------------------------------------


def test_an_extension_beyond_ten_working_days_is_refused() -> None:
    case = accepted("2026-09-28", promised_days=5)
    with pytest.raises(NotAllowed) as refused:
        case.try_add("2026-09-29", ev.EXTENSION_REQUESTED,
                     {"days": 11, "reason": "需实地核查", "by_org": TOWNSHIP})  # fmt: skip
    assert refused.value.message == (
        "延期合计不能超过 10 个工作日：已批准 0 个工作日，本次申请 11 个工作日。"
    )


def test_all_extensions_together_keep_within_the_items_maximum() -> None:
    case = accepted("2026-09-28", promised_days=5, extension_max_days=5)
    case.ask("2026-09-29", 3)
    case.approve("2026-09-29")
    with pytest.raises(NotAllowed, match="已批准 3 个工作日，本次申请 3 个工作日"):
        case.try_add("2026-09-30", ev.EXTENSION_REQUESTED,
                     {"days": 3, "reason": "再延", "by_org": TOWNSHIP})  # fmt: skip
    state = case.ask("2026-09-30", 2)
    assert len(state.extensions) == 2


def test_a_second_request_waits_for_the_first_decision() -> None:
    case = accepted("2026-09-28", promised_days=5)
    case.ask("2026-09-29", 2)
    with pytest.raises(NotAllowed, match="已有一项延期申请等待负责人审批"):
        case.ask("2026-09-29", 2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "reviewer"}, "只有负责人才能审批延期申请。"),
        ({"actor": "shenhe"}, "申请延期的人不能自己审批延期，请由本单位负责人审批。"),
        ({"org": COUNTY, "central": True}, "这项延期申请由 370613004 提出，须由该单位负责人审批。"),
        ({"approved": False}, "不批准延期须说明理由。"),
    ],
)
def test_an_extension_decision_by_the_wrong_person_is_refused(
    changes: dict[str, Any], message: str
) -> None:
    case = accepted("2026-09-28", promised_days=5)
    case.ask("2026-09-29", 3)
    with pytest.raises((NotAllowed, InvalidInput)) as refused:
        try:
            case.approve("2026-09-30", **changes)
        finally:
            case.events.pop()
    assert refused.value.message == message
    assert fold.fold(case.events).extensions[0]["decision"] is None


def test_deciding_an_extension_nobody_asked_for_is_refused() -> None:
    case = accepted("2026-09-28", promised_days=5)
    with pytest.raises(NotAllowed, match="该办件没有待审批的这项延期申请。"):
        case.add("2026-09-29", ev.EXTENSION_DECIDED,
                 {"request_id": "nope", "approved": True, "role": "head", "by_org": TOWNSHIP},
                 actor="fuzeren")  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"days": 0, "reason": "x"}, "延期天数应为正整数（工作日）。"),
        ({"days": True, "reason": "x"}, "延期天数应为正整数（工作日）。"),
        ({"days": 3, "reason": "  "}, "申请延期必须说明理由。"),
        ({"days": 3, "reason": "长" * 501}, "内容最多 500 个字，现有 501 个字。"),
    ],
)
def test_a_malformed_extension_request_is_refused(payload: dict[str, Any], message: str) -> None:
    case = accepted("2026-09-28", promised_days=5)
    with pytest.raises(InvalidInput) as refused:
        case.add("2026-09-29", ev.EXTENSION_REQUESTED, {**payload, "by_org": TOWNSHIP})
    assert refused.value.message == message


def test_only_the_unit_holding_the_case_asks_for_an_extension() -> None:
    case = accepted("2026-03-02", "forwarded")
    case.add("2026-03-03", ev.FORWARDED,
             {"opinion": "同意", "conclusion": "agree", "to_org": COUNTY})  # fmt: skip
    with pytest.raises(NotAllowed, match="办件当前由 370613 办理，只有该单位才能申请延期"):
        case.try_add("2026-03-04", ev.EXTENSION_REQUESTED,
                     {"days": 3, "reason": "x", "by_org": TOWNSHIP})  # fmt: skip
    # The county asks at central, and the county's head decides there.
    case.ask("2026-03-04", 5, actor="xianshen", org=COUNTY, central=True)
    state = case.approve("2026-03-05", actor="xianfuze", org=COUNTY, central=True)
    assert state.extensions[0]["by_org"] == COUNTY and state.extensions[0]["central"] is True


def test_ending_an_excluded_time_that_did_not_start_is_refused() -> None:
    case = accepted("2026-09-28", promised_days=5)
    with pytest.raises(NotAllowed) as refused:
        case.end("2026-09-29")
    assert refused.value.message == "该办件没有正在进行的特别程序，不能结束。"


def test_a_second_excluded_time_waits_for_the_first_to_end() -> None:
    case = accepted("2026-09-28", promised_days=5)
    case.start("2026-09-29", "testing")
    with pytest.raises(NotAllowed, match="特别程序「检测」尚未结束，不能再开始另一项。"):
        case.start("2026-09-30")


def test_an_unknown_kind_of_excluded_time_is_refused() -> None:
    case = accepted("2026-09-28", promised_days=5)
    with pytest.raises(InvalidInput, match="请选择特别程序的种类"):
        case.start("2026-09-29", "holiday")


def test_excluded_time_and_extensions_need_a_running_clock() -> None:
    case = Case()
    with pytest.raises(NotAllowed, match="办件当前状态为「待受理」，不能「申请延期」"):
        case.ask("2026-01-06", 3)


def test_a_state_with_extensions_and_excluded_time_survives_its_projection() -> None:
    case = accepted("2026-09-28", promised_days=5)
    case.ask("2026-09-29", 3)
    case.approve("2026-09-29")
    state = case.start("2026-09-30")
    assert CaseState.from_dict(state.to_dict()) == state


# Stage limits (§43) -----------------------------------------------------------------------------


def test_each_stage_counts_its_own_limit_beside_the_whole_case() -> None:
    case = accepted("2026-03-02", "forwarded", stage_limits={"township": 5, "county": 15})
    state = case.add("2026-03-04", ev.FORWARDED,
                     {"opinion": "同意", "conclusion": "agree", "to_org": COUNTY})  # fmt: skip
    township, county = stage_clocks(state, date(2026, 3, 6))
    assert (township.stage, township.days_used, township.status) == ("township", 2, None)
    assert county.stage == "county" and county.status is not None
    assert (county.days_used, county.status.days_left) == (2, 13)
    whole = case_deadline(state, date(2026, 3, 6))
    assert whole is not None and whole.days_left == 16  # 20 promised, 4 used


def test_an_item_without_stage_limits_shows_no_stages() -> None:
    state = fold.fold(accepted("2026-03-02", "forwarded").events)
    assert stage_clocks(state, date(2026, 3, 6)) == []
    assert "stage_limits" not in state.item


def catalogue(**item: Any) -> dict[str, Any]:
    base = registered_payload("forwarded")["item"]
    base.update(materials=[], **item)
    return {"version": "test-2", "items": [base]}


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"stage_limits": {"city": 5}}, "不能为“city”设定"),
        ({"stage_limits": {"county": -1}}, "环节时限应为0至999的整数"),
        ({"stage_limits": []}, "环节时限应按环节列出工作日数"),
        ({"extension_max_days": "10"}, "延期上限不正确"),
    ],
)
def test_a_catalogue_with_bad_stage_limits_is_refused(item: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadCatalogue, match=reason):
        check_catalogue(catalogue(**item))


def test_a_catalogue_with_stage_limits_and_an_extension_maximum_passes() -> None:
    check_catalogue(catalogue(stage_limits={"township": 5, "county": 15}, extension_max_days=5))


def test_the_kept_figures_count_an_extended_case_on_time_until_its_extended_date() -> None:
    case = accepted("2026-09-28", promised_days=5)
    case.ask("2026-09-29", 3)
    case.approve("2026-09-29")
    state = case.add("2026-10-13", ev.COMPLETED, {"outcome": "approved"}, actor="chuangkou")
    rules = calendar_rules(WorkingCalendar())
    assert rules.due(state) == date(2026, 10, 14)  # not 10-10, the date before the extension
    assert rules.days_used(state) == 7  # 09-29, 09-30, 10-08, 10-09, 10-10, 10-12, 10-13
