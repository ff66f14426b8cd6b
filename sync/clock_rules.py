"""The promised limit's other clocks: extensions (延期, 行政许可法 §42), excluded time (特别程序, §45)
and stage limits (§43). The fold's steps for them, and what the clock reads of them, in one place.

- An extension is asked by the unit holding the case (a township reviewer, or a county's or city's
  reviewer at central) with a reason and a number of working days, and decided by that unit's head
  (负责人). The write path of each app puts the acting user's role in the decision's payload
  (``role``); the fold refuses a decision by anyone but a head, by the one who asked, or by another
  unit. Approved days add to the promised limit; all of a case's extensions together may not exceed
  the item's ``extension_max_days`` (10 working days by default, as §42 says).
- Excluded time starts and ends with its kind (听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审)
  and reason; while it runs the clock stands still, like a supplement's pause: the working days after
  the day it started up to and including the day it ended do not count.
- Stage limits: an item may set the working days of each stage (``stage_limits``: township review,
  county, city); each level sees its own stage's remaining days beside the whole case's.

Like every step of the fold these read no clock and no database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sync import events as ev
from sync.case_payloads import text_field as _text
from sync.case_state import CaseState
from sync.case_state import with_changes as _with
from sync.deadlines import (
    DEFAULT_CALENDAR,
    DeadlineStatus,
    Pause,
    Wording,
    WorkingCalendar,
    deadline_status,
    paused_working_days,
    working_days_between,
)
from sync.errors import N_, CalendarUnknown, InvalidInput, NotAllowed

DEFAULT_EXTENSION_MAX_DAYS = 10  # 行政许可法 §42: the head may extend by ten working days
MAX_CLOCK_TEXT = 500
HEAD = "head"  # the role that decides extensions, at the township and at central

# 特别程序 (§45): the kinds of time that does not count.
EXCLUDED_KINDS = (
    "hearing",
    "tendering",
    "auction",
    "inspection",
    "testing",
    "quarantine",
    "appraisal",
    "expert_review",
)
EXCLUDED_KIND_LABELS = {
    "hearing": N_("听证"),
    "tendering": N_("招标"),
    "auction": N_("拍卖"),
    "inspection": N_("检验"),
    "testing": N_("检测"),
    "quarantine": N_("检疫"),
    "appraisal": N_("鉴定"),
    "expert_review": N_("专家评审"),
}

# Stages of a case's route that an item may limit (§43), in order.
STAGES = ("township", "county", "city")
STAGE_LABELS = {"township": N_("乡镇初审"), "county": N_("县级审批"), "city": N_("市级审批")}

EXTENSION_TOO_LONG = N_(
    "延期合计不能超过 %(most)s 个工作日：已批准 %(done)s 个工作日，本次申请 %(days)s 个工作日。"
)
NOT_HEAD = N_("只有负责人才能审批延期申请。")
OWN_REQUEST = N_("申请延期的人不能自己审批延期，请由本单位负责人审批。")
NO_PENDING = N_("该办件没有待审批的这项延期申请。")
NO_EXCLUDED = N_("该办件没有正在进行的特别程序，不能结束。")


# What the clock reads ----------------------------------------------------------------------------


def extension_max_days(item: Mapping[str, Any]) -> int:
    """Return how many working days all of a case's extensions may add (the item's, else 10)."""
    return int(item.get("extension_max_days", DEFAULT_EXTENSION_MAX_DAYS))


def extension_days(state: CaseState) -> int:
    """Return the working days the approved extensions add to the promised limit."""
    return sum(
        int(x["days"]) for x in state.extensions if x["decision"] and x["decision"]["approved"]
    )


def pending_extension(state: CaseState) -> Mapping[str, Any] | None:
    """Return the extension request awaiting its head's decision, if any."""
    return next((x for x in state.extensions if x["decision"] is None), None)


def open_excluded(state: CaseState) -> Mapping[str, Any] | None:
    """Return the excluded time running now, if any."""
    return next((x for x in state.excluded if x["end"] is None), None)


def limit_days(state: CaseState) -> int:
    """Return the promised limit in working days with the approved extensions."""
    return int(state.item["promised_days"]) + extension_days(state)


def all_pauses(state: CaseState) -> list[Pause]:
    """Return the supplement pauses and the excluded times as dates, overlaps merged (a day on
    which the clock stands still for two reasons is still one day)."""
    raw = [(s, e) for s, e in state.pauses] + [(x["start"], x["end"]) for x in state.excluded]
    spans = sorted((date.fromisoformat(s), date.fromisoformat(e) if e else None) for s, e in raw)
    merged: list[Pause] = []
    for start, end in spans:
        if merged:
            last_start, last_end = merged[-1]
            # A pause counts the days after its start up to its end: (start, end].
            if last_end is None or start < last_end:
                if last_end is not None and (end is None or end > last_end):
                    merged[-1] = (last_start, end)
                continue
        merged.append((start, end))
    return merged


def closed_pauses(state: CaseState) -> list[Pause]:
    """Return the excluded times that have ended, as dates (what moves the receipt's date)."""
    return [
        (date.fromisoformat(x["start"]), date.fromisoformat(x["end"]))
        for x in state.excluded
        if x["end"] is not None
    ]


def excluded_message(status: DeadlineStatus, state: CaseState) -> DeadlineStatus:
    """Say on a paused light why the clock stands still when it is an excluded time, not a
    supplement (the deadline module only knows supplements)."""
    running = open_excluded(state)
    if running is None or status.light != "paused" or any(e is None for _, e in state.pauses):
        return status
    kind = Wording(EXCLUDED_KIND_LABELS[running["kind"]])
    left = status.days_left or 0
    if left < 0:
        said = Wording(
            N_("暂停计时（特别程序：%(kind)s），已超期%(n)s个工作日"), {"kind": kind, "n": -left}
        )
    else:
        said = Wording(
            N_("暂停计时（特别程序：%(kind)s），剩余%(n)s个工作日"), {"kind": kind, "n": left}
        )
    return DeadlineStatus(
        status.light, status.due_on, status.days_used, status.days_left, str(said), said
    )


@dataclass(frozen=True)
class StageClock:
    """One stage of a case's route and its own limit: running, done, or not reached."""

    stage: str  # township | county | city
    limit: int
    started_on: date | None
    ended_on: date | None
    days_used: int | None  # None before the stage starts, or in a year the calendar lacks
    status: DeadlineStatus | None  # the running stage's light

    @property
    def label(self) -> str:
        return STAGE_LABELS[self.stage]


def stage_limits(item: Mapping[str, Any]) -> dict[str, int]:
    """Return the item's stage limits (§43), empty when it sets none."""
    return {k: int(v) for k, v in (item.get("stage_limits") or {}).items()}


def stage_clocks(
    state: CaseState,
    today: date,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
    *,
    yellow_percent: int = 80,
    yellow_days_left: int = 1,
) -> list[StageClock]:
    """Return each limited stage of the case's route with its days used and, for the stage the
    case is in now, its light: the township's review from acceptance to the forward, each level
    above from the forward that reached it to the next forward or the decision."""
    limits = stage_limits(state.item)
    if not limits or state.accepted_on is None:
        return []
    path = ["township", *state.item["route"]]
    starts: list[date | None] = [date.fromisoformat(state.accepted_on)]
    starts += [ev.business_date(o["at"]) for o in state.opinions]
    starts += [None] * (len(path) - len(starts))
    if state.state not in ("accepted", "in_review", "forwarded", "supplement_requested"):
        return []  # the stages are shown while the case is handled
    pauses = all_pauses(state)
    clocks = []
    for index, stage in enumerate(path):
        if stage not in limits:
            continue
        start = starts[index]
        nxt = starts[index + 1] if index + 1 < len(starts) else None
        end = nxt
        status = None
        used = None
        if start is not None:
            own = [(s, e) for s, e in pauses if s >= start and (end is None or s < end)]
            if end is None:
                status = excluded_message(
                    deadline_status(
                        start, limits[stage], own, today, calendar,
                        yellow_percent=yellow_percent, yellow_days_left=yellow_days_left,
                    ),
                    state,
                )  # fmt: skip
                used = status.days_used if status.light != "unknown" else None
            else:
                try:
                    used = max(
                        0,
                        working_days_between(start, end, calendar)
                        - paused_working_days(own, end, calendar),
                    )
                except CalendarUnknown:
                    used = None
        clocks.append(StageClock(stage, limits[stage], start, end, used, status))
    return clocks


# The fold's steps --------------------------------------------------------------------------------


def _reason(p: Mapping[str, Any], key: str, message: str, *, required: bool = True) -> str:
    text = _text(p, key, message, required=required)
    if len(text) > MAX_CLOCK_TEXT:
        raise InvalidInput(
            N_("内容最多 %(most)s 个字，现有 %(count)s 个字。"),
            field=key,
            most=MAX_CLOCK_TEXT,
            count=len(text),
        )
    return text


def _by_holder(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> str:
    """Refuse a step not taken by the unit holding the case: the township's by its device, a
    county's or city's at central. Return that unit."""
    by_org = _text(p, "by_org", N_("缺少办理单位。"))
    above = state.holder_code != state.org_code
    if by_org != state.holder_code or above != (event.writer == ev.CENTRAL_WRITER):
        raise NotAllowed(
            N_("办件当前由 %(unit)s 办理，只有该单位才能申请延期或登记特别程序。"),
            unit=state.holder_code,
        )
    return by_org


def _days(p: Mapping[str, Any]) -> int:
    days = p.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise InvalidInput(N_("延期天数应为正整数（工作日）。"), field="days")
    return days


def _extension_requested(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    by_org = _by_holder(state, event, p)
    if pending_extension(state) is not None:
        raise NotAllowed(N_("已有一项延期申请等待负责人审批，不能再申请。"))
    days = _days(p)
    reason = _reason(p, "reason", N_("申请延期必须说明理由。"))
    most, done = extension_max_days(state.item), extension_days(state)
    if done + days > most:
        raise NotAllowed(EXTENSION_TOO_LONG, most=most, done=done, days=days)
    request = {
        "request_id": event.event_id,
        "days": days,
        "reason": reason,
        "by": event.actor,
        "by_org": by_org,
        "central": event.writer == ev.CENTRAL_WRITER,
        "at": event.at,
        "on": event.day.isoformat(),
        "decision": None,
    }
    return _with(state, extensions=state.extensions + (request,))


def _extension_decided(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    request_id = _text(p, "request_id", N_("缺少所审批的延期申请。"))
    index = next((i for i, x in enumerate(state.extensions) if x["request_id"] == request_id), None)
    if index is None or state.extensions[index]["decision"] is not None:
        raise NotAllowed(NO_PENDING)
    request = state.extensions[index]
    if p.get("role") != HEAD:
        raise NotAllowed(NOT_HEAD)
    if p.get("by_org") != request["by_org"] or request["central"] != (
        event.writer == ev.CENTRAL_WRITER
    ):
        raise NotAllowed(
            N_("这项延期申请由 %(unit)s 提出，须由该单位负责人审批。"), unit=request["by_org"]
        )
    if event.actor == request["by"]:
        raise NotAllowed(OWN_REQUEST)
    approved = p.get("approved")
    if approved is not True and approved is not False:
        raise InvalidInput(N_("请选择批准延期或不予批准。"), field="approved")
    note = _reason(p, "note", N_("不批准延期须说明理由。"), required=not approved)
    decided = {
        "approved": approved,
        "note": note,
        "by": event.actor,
        "at": event.at,
        "on": event.day.isoformat(),
    }
    extensions = list(state.extensions)
    extensions[index] = {**request, "decision": decided}
    return _with(state, extensions=tuple(extensions))


def _excluded_started(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    by_org = _by_holder(state, event, p)
    running = open_excluded(state)
    if running is not None:
        raise NotAllowed(
            N_("特别程序「%(kind)s」尚未结束，不能再开始另一项。"),
            kind=Wording(EXCLUDED_KIND_LABELS[running["kind"]]),
        )
    kind = p.get("kind")
    if kind not in EXCLUDED_KINDS:
        raise InvalidInput(
            N_("请选择特别程序的种类（听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审）。"),
            field="kind",
        )
    period = {
        "period_id": event.event_id,
        "kind": kind,
        "reason": _reason(p, "reason", N_("特别程序必须说明事由。")),
        "by": event.actor,
        "by_org": by_org,
        "central": event.writer == ev.CENTRAL_WRITER,
        "start": event.day.isoformat(),
        "end": None,
        "end_note": "",
        "ended_by": None,
    }
    return _with(state, excluded=state.excluded + (period,))


def _excluded_ended(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    running = open_excluded(state)
    if running is None:
        raise NotAllowed(NO_EXCLUDED)
    if p.get("by_org") != running["by_org"] or running["central"] != (
        event.writer == ev.CENTRAL_WRITER
    ):
        raise NotAllowed(
            N_("这项特别程序由 %(unit)s 登记，须由该单位登记结束。"), unit=running["by_org"]
        )
    day = event.day.isoformat()
    if day < running["start"]:
        raise InvalidInput(
            N_("特别程序的结束日期%(end)s早于开始日期%(start)s。"),
            field="at",
            end=day,
            start=running["start"],
        )
    ended = {
        **running,
        "end": day,
        "end_note": _reason(p, "note", "", required=False),
        "ended_by": event.actor,
    }
    excluded = tuple(ended if x is running else x for x in state.excluded)
    return _with(state, excluded=excluded)


CLOCK_STEPS: dict[str, Callable[[CaseState, ev.Event, Mapping[str, Any]], CaseState]] = {
    ev.EXTENSION_REQUESTED: _extension_requested,
    ev.EXTENSION_DECIDED: _extension_decided,
    ev.EXCLUDED_TIME_STARTED: _excluded_started,
    ev.EXCLUDED_TIME_ENDED: _excluded_ended,
}
