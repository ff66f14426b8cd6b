"""Supervision's warnings (电子监察预警): which stage of a case is near due or late, whose it is.

From a folded case, today's business date and the working calendar, ``case_warnings`` returns the
yellow and red warnings of the case, one per late stage, each naming the unit responsible and, where
the log says who took the step, the person. The stages:

- ``limit`` — the case's promised limit (承诺时限), on the case's own clock (``sync.case_clock``);
- ``acceptance`` — the acceptance decision (受理决定): a registered case, or one whose supplement
  came, must be accepted or refused within 5 working days (行政许可法 第三十二条);
- ``forwarded`` — a forwarded case waiting at the unit above for its decision or onward forward;
- ``rectification`` — a 差评's task not answered within the scale's days (sync.rectification_rules);
- ``petition`` — a re-examination request or complaint not answered (default 15 working days);
- ``joint`` — a department of an open joint review (联审) that has not given its opinion by its own
  due date (sync.joint_review_rules); the lead unit answers for it.

Every light is ``sync.deadlines.deadline_status``'s, with the thresholds the published rules give;
nothing here reads a clock or a database. Central publishes the thresholds (``parse_rules``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sync.case_clock import case_deadline
from sync.case_state import DRAFT, FORWARDED, CaseState
from sync.clock_rules import stage_limits
from sync.deadlines import (
    DEFAULT_CALENDAR,
    DeadlineStatus,
    Wording,
    WorkingCalendar,
    deadline_status,
    working_days_between,
)
from sync.errors import N_, CalendarUnknown, InvalidInput
from sync.events import CHINA_TZ, business_date
from sync.joint_review_rules import OPEN as JOINT_OPEN
from sync.joint_review_rules import current_round
from sync.rectification_rules import OPEN_STAGES, is_overdue, task_due

LIMIT = "limit"  # 承诺时限
ACCEPTANCE = "acceptance"  # 受理决定
FORWARDED_STAGE = "forwarded"  # 上级审批
RECTIFICATION = "rectification"  # 差评整改
PETITION = "petition"  # 复核、投诉答复
JOINT = "joint"  # 联审意见: one department of an open joint review
STAGES = (LIMIT, ACCEPTANCE, FORWARDED_STAGE, RECTIFICATION, PETITION, JOINT)
STAGE_LABELS = {
    LIMIT: N_("承诺时限"),
    ACCEPTANCE: N_("受理决定"),
    FORWARDED_STAGE: N_("上级审批"),
    RECTIFICATION: N_("差评整改"),
    PETITION: N_("复核投诉答复"),
    JOINT: N_("联审意见"),
}
YELLOW, RED = "yellow", "red"
LEVEL_LABELS = {YELLOW: N_("黄色预警"), RED: N_("红色预警")}

MAX_DAYS = 60


class BadRules(InvalidInput):
    """Published supervision rules break a rule; the message names the setting."""

    code = "invalid_supervision_rules"


@dataclass(frozen=True)
class SupervisionRules:
    """The thresholds of the warnings, as central publishes them (defaults when it has not)."""

    version: str = "default"
    yellow_percent: int = 80  # yellow once this share of a limit is used ...
    yellow_days_left: int = 1  # ... or this many working days (or fewer) are left
    acceptance_days: int = 5  # 行政许可法 第三十二条
    # Working days the unit above has for a forwarded case; 0: forwarded_percent of the item's
    # promised limit (at least one day).
    forwarded_days: int = 0
    forwarded_percent: int = 50
    petition_days: int = 15
    red_card_when_overdue: bool = True  # a red card for every red warning, issued by the rule

    def forwarded_limit(self, promised_days: int) -> int:
        """Return the working days the unit above has for a forwarded case of this item."""
        if self.forwarded_days:
            return self.forwarded_days
        return max(1, promised_days * self.forwarded_percent // 100)

    def to_dict(self) -> dict[str, Any]:
        """Return the rules as the JSON body central publishes and the township keeps."""
        return {name: getattr(self, name) for name in _FIELDS}


DEFAULT_RULES = SupervisionRules()

# name: (least, most) of each whole-number setting
_RANGES = {
    "yellow_percent": (1, 100),
    "yellow_days_left": (0, 10),
    "acceptance_days": (1, MAX_DAYS),
    "forwarded_days": (0, MAX_DAYS),
    "forwarded_percent": (1, 100),
    "petition_days": (1, MAX_DAYS),
}
_FIELDS = ("version", *_RANGES, "red_card_when_overdue")


def parse_rules(raw: Any) -> SupervisionRules:
    """Return the rules a published body describes, or refuse it with a message naming the
    setting; a setting left out keeps its default."""
    if not isinstance(raw, Mapping):
        raise BadRules(N_("监察预警规则格式不正确。"), field="rules")
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 40:
        raise BadRules(N_("监察预警规则须有版本号（version），最多 40 个字符。"), field="version")
    values: dict[str, Any] = {"version": version.strip()}
    for key, (least, most) in _RANGES.items():
        value = raw.get(key, getattr(DEFAULT_RULES, key))
        if value.__class__ is not int or not least <= value <= most:
            raise BadRules(
                N_("%(key)s 须为 %(least)s 至 %(most)s 之间的整数。"),
                field=key,
                key=key,
                least=least,
                most=most,
            )
        values[key] = value
    card = raw.get("red_card_when_overdue", True)
    if not isinstance(card, bool):
        raise BadRules(
            N_("red_card_when_overdue 须为 true 或 false。"), field="red_card_when_overdue"
        )
    values["red_card_when_overdue"] = card
    return SupervisionRules(**values)


@dataclass(frozen=True)
class CaseWarning:
    """One stage of one case near due (yellow) or late (red), and whose it is."""

    case_id: str
    case_number: str
    stage: str
    subject: str  # which occurrence of the stage: a rating, a petition, a forward; "" for one
    level: str  # yellow | red
    unit: str  # the division code of the unit responsible
    person: str | None  # the staff member who took the late step, when the log says it
    due_on: date | None
    message: str  # in Chinese
    wording: Wording | None = field(default=None, compare=False)  # the same, for the pages

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Return what makes a warning new: its case, stage, occurrence and level."""
        return (self.case_id, self.stage, self.subject, self.level)


def china_today(now: datetime) -> date:
    """Return the business date (China) of a moment."""
    return now.astimezone(CHINA_TZ).date()


def _level(status: DeadlineStatus) -> str | None:
    if status.light in (YELLOW, RED):
        return status.light
    # A case paused for a supplement after it was already late stays late.
    if status.light == "paused" and status.days_left is not None and status.days_left < 0:
        return RED
    return None


def _say(stage: str, status: DeadlineStatus) -> Wording:
    return Wording(
        N_("%(stage)s：%(status)s"),
        {"stage": Wording(STAGE_LABELS[stage]), "status": status.wording or status.message},
    )


def _warning(
    state: CaseState,
    stage: str,
    subject: str,
    status: DeadlineStatus,
    unit: str,
    person: str | None,
) -> CaseWarning | None:
    level = _level(status)
    if level is None:
        return None
    said = _say(stage, status)
    return CaseWarning(
        state.case_id,
        state.case_number,
        stage,
        subject,
        level,
        unit,
        person or None,
        status.due_on,
        str(said),
        said,
    )


def _limit(
    state: CaseState, today: date, calendar: WorkingCalendar, rules: SupervisionRules
) -> CaseWarning | None:
    status = case_deadline(
        state,
        today,
        calendar,
        yellow_percent=rules.yellow_percent,
        yellow_days_left=rules.yellow_days_left,
    )
    if status is None:
        return None
    # An immediate item (即办件, limit 0) is yellow all its one day: a warning then would only be
    # noise on every case at the window. It warns red the next working day.
    if int(state.item["promised_days"]) == 0 and status.light == YELLOW:
        return None
    # The clerk who accepted answers for the case while the township holds it; above, the unit.
    person = state.accepted_by if state.holder_code == state.org_code else None
    return _warning(state, LIMIT, "", status, state.holder_code, person)


def _running(
    start: date, days: int, today: date, calendar: WorkingCalendar, rules: SupervisionRules
) -> DeadlineStatus:
    return deadline_status(
        start,
        days,
        (),
        today,
        calendar,
        yellow_percent=rules.yellow_percent,
        yellow_days_left=rules.yellow_days_left,
    )


def _acceptance(
    state: CaseState, today: date, calendar: WorkingCalendar, rules: SupervisionRules
) -> CaseWarning | None:
    if state.state != DRAFT:
        return None
    start = state.received_on or business_date(state.registered_at).isoformat()
    status = _running(date.fromisoformat(start), rules.acceptance_days, today, calendar, rules)
    return _warning(state, ACCEPTANCE, start, status, state.org_code, state.registered_by)


def _forwarded(
    state: CaseState, today: date, calendar: WorkingCalendar, rules: SupervisionRules
) -> CaseWarning | None:
    if state.state != FORWARDED or not state.opinions:
        return None
    forward = state.opinions[-1]
    # The level's own stage limit (§43) where the item sets one, else the published share.
    route, limits = state.item["route"], stage_limits(state.item)
    level = route[len(state.opinions) - 1] if len(state.opinions) <= len(route) else None
    if level in limits:
        days = limits[level]
    else:
        days = rules.forwarded_limit(int(state.item["promised_days"]))
    status = _running(business_date(forward["at"]), days, today, calendar, rules)
    return _warning(state, FORWARDED_STAGE, forward["at"], status, state.holder_code, None)


def _rectifications(
    state: CaseState,
    today: date,
    calendar: WorkingCalendar,
    rules: SupervisionRules,
    rectification_days: int,
) -> list[CaseWarning]:
    found = []
    handled = {"acceptance": state.accepted_by, "result": state.completed_by}
    for task in state.rectifications:
        if task["stage"] not in OPEN_STAGES:
            continue
        status = _running(
            date.fromisoformat(task["opened_on"]), rectification_days, today, calendar, rules
        )
        # The light is the calendar's; whether it is late is the rectification rule's own.
        if is_overdue(task, task_due(task, rectification_days, calendar), today):
            status = replace(status, light=RED)
        elif status.light == RED:
            status = replace(status, light=YELLOW)
        person = handled.get(task["step"]) if task["unit"] == state.org_code else None
        warning = _warning(state, RECTIFICATION, task["rating_id"], status, task["unit"], person)
        if warning is not None:
            found.append(warning)
    return found


def _petitions(
    state: CaseState, today: date, calendar: WorkingCalendar, rules: SupervisionRules
) -> list[CaseWarning]:
    found = []
    for petition in state.petitions:
        if petition["answer"] is not None:
            continue
        status = _running(
            business_date(petition["at"]), rules.petition_days, today, calendar, rules
        )
        # Answered at central by the supervisors over the case's township.
        warning = _warning(state, PETITION, petition["petition_id"], status, state.org_code, None)
        if warning is not None:
            found.append(warning)
    return found


def _joint_opinions(
    state: CaseState, today: date, calendar: WorkingCalendar, rules: SupervisionRules
) -> list[CaseWarning]:
    found = []
    round_ = current_round(state)
    if round_ is None or round_["status"] != JOINT_OPEN:
        return found
    opened = date.fromisoformat(round_["opened_on"])
    for asked in round_["departments"]:
        if asked["opinion"] is not None:
            continue
        due = date.fromisoformat(asked["due"])
        days = working_days_between(opened, due, calendar)
        status = _running(opened, days, today, calendar, rules)
        # One warning per department and round (a subject of at most 24 + 1 + 32 characters).
        subject = f"{round_['round_id'][:24]}:{asked['department']}"
        warning = _warning(state, JOINT, subject, status, round_["by_org"], None)
        if warning is None:
            continue
        said = Wording(
            N_("%(stage)s（%(department)s）：%(status)s"),
            {
                "stage": Wording(STAGE_LABELS[JOINT]),
                "department": asked["department"],
                "status": status.wording or status.message,
            },
        )
        found.append(replace(warning, message=str(said), wording=said))
    return found


def case_warnings(
    state: CaseState,
    today: date,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
    rules: SupervisionRules = DEFAULT_RULES,
    *,
    rectification_days: int = 5,
) -> list[CaseWarning]:
    """Return the yellow and red warnings of a case on ``today``, in the order of ``STAGES``.

    A stage whose due day falls in a year with no known calendar gives no warning (the case list
    says so beside the case); ``rectification_days`` is the rating scale's.
    """
    found: list[CaseWarning] = []
    for one in (_limit, _acceptance, _forwarded):
        try:
            warning = one(state, today, calendar, rules)
        except CalendarUnknown:
            continue
        if warning is not None:
            found.append(warning)
    try:
        found.extend(_rectifications(state, today, calendar, rules, rectification_days))
    except CalendarUnknown:
        pass
    try:
        found.extend(_petitions(state, today, calendar, rules))
    except CalendarUnknown:
        pass
    try:
        found.extend(_joint_opinions(state, today, calendar, rules))
    except CalendarUnknown:
        pass
    return found
