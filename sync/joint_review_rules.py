"""联审 / 会签: several departments review a forwarded case in parallel; the lead unit then decides.

An item of the catalogue may carry a parallel step (``joint_review``): at one level of its route
(the county, say) the departments it names (自然资源, 农业农村, 住建 …) each give their own opinion
within their own number of working days. The unit holding the case at that level (the lead unit,
牵头单位) opens the round (``joint_review_opened``, with each department's due date, worked out by
central from its calendar), each department answers once (``joint_opinion``), and only when all
have answered may the lead unit decide or forward the case on. A return for supplement closes the
round; the case forwarded again needs a new one.

Pure rules, no clock and no database: the fold (``sync.fold``) runs these steps at both ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sync import events as ev
from sync.case_state import FORWARDED, ROUTE_LEVELS, CaseState, with_changes
from sync.deadlines import DEFAULT_CALENDAR, WorkingCalendar, add_working_days, working_days_between
from sync.errors import N_, CalendarUnknown, InvalidInput, NotAllowed

OPEN, COMPLETE, CLOSED = "open", "complete", "closed"  # a round: 进行中 / 已完成 / 已终止（退回）
ROUND_LABELS = {OPEN: N_("联审中"), COMPLETE: N_("联审意见已齐"), CLOSED: N_("已终止（退回补正）")}
CONCLUSIONS = ("agree", "disagree")  # 同意 / 不同意
MAX_DEPARTMENTS = 12
MAX_DAYS = 60  # a department's limit in working days

Step = Callable[[CaseState, ev.Event, Mapping[str, Any]], CaseState]


# --- The item's parallel step, as the catalogue describes it -----------------------------------


def joint_definition(raw: Any, route: list[str]) -> dict[str, Any] | None:
    """Return an item's parallel step (level, lead department, departments with their working
    days), or None when the item has none; refuse one that a case could not run."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidInput(N_("联审环节格式不正确。"), field="joint_review")
    level = raw.get("level")
    if level not in ROUTE_LEVELS or level not in route:
        raise InvalidInput(
            N_("联审环节须设在事项审批层级中的一级（县级或市级）。"), field="joint_review"
        )
    departments_raw = raw.get("departments")
    if not isinstance(departments_raw, list) or not 2 <= len(departments_raw) <= MAX_DEPARTMENTS:
        raise InvalidInput(
            N_("联审须有 2 至 %(max)s 个部门。"), field="joint_review", max=MAX_DEPARTMENTS
        )
    departments = []
    for entry in departments_raw:
        name = entry.get("name") if isinstance(entry, Mapping) else None
        days = entry.get("days") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 32:
            raise InvalidInput(N_("联审部门须有名称（不超过 32 个字）。"), field="joint_review")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise InvalidInput(
                N_("联审部门“%(name)s”的办理时限须为 1 至 %(max)s 个工作日。"),
                field="joint_review",
                name=name.strip(),
                max=MAX_DAYS,
            )
        if any(d["name"] == name.strip() for d in departments):
            raise InvalidInput(
                N_("联审部门重复：%(name)s"), field="joint_review", name=name.strip()
            )
        departments.append({"name": name.strip(), "days": days})
    lead = raw.get("lead")
    if not isinstance(lead, str) or lead.strip() not in {d["name"] for d in departments}:
        raise InvalidInput(N_("联审须指定牵头部门，且为联审部门之一。"), field="joint_review")
    return {"level": level, "lead": lead.strip(), "departments": departments}


def current_level(state: CaseState) -> str | None:
    """Return the route level of the unit holding a forwarded case, or None below the route."""
    if state.state != FORWARDED or not state.opinions:
        return None
    route = state.item["route"]
    done = len(state.opinions)
    return route[done - 1] if done <= len(route) else None


def required_here(state: CaseState) -> Mapping[str, Any] | None:
    """Return the item's parallel step if it is due at the level holding the case now."""
    definition = state.item.get("joint_review")
    if definition and definition["level"] == current_level(state):
        return definition
    return None


def current_round(state: CaseState) -> Mapping[str, Any] | None:
    """Return the round of joint review at the holding unit's level (open or complete), if any."""
    level = current_level(state)
    for round_ in reversed(state.joint_reviews):
        if round_["status"] != CLOSED and round_["level"] == level:
            if round_["by_org"] == state.holder_code:
                return round_
    return None


def waiting_departments(round_: Mapping[str, Any]) -> list[str]:
    """Return the departments of a round that have not answered yet, in the catalogue's order."""
    return [d["department"] for d in round_["departments"] if d["opinion"] is None]


def asks(state: CaseState, org_code: str, department: str) -> bool:
    """Tell whether the open or complete round of a case at ``org_code`` asks ``department``."""
    round_ = current_round(state)
    return (
        round_ is not None
        and round_["by_org"] == org_code
        and any(d["department"] == department for d in round_["departments"])
    )


def due_dates(
    definition: Mapping[str, Any], opened_on: date, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> list[dict[str, str]]:
    """Return each department's due date: its working days counted from the day after opening."""
    return [
        {
            "department": d["name"],
            "due": add_working_days(opened_on, d["days"], calendar).isoformat(),
        }
        for d in definition["departments"]
    ]


@dataclass(frozen=True)
class DepartmentProgress:
    """Where one department of a round stands today."""

    department: str
    lead: bool
    due: date
    opinion: Mapping[str, Any] | None
    late: bool  # answered after its due date
    overdue: bool  # not answered, and its due date has passed
    days_left: int | None  # working days to the due date while waiting (0: due today)

    @property
    def light(self) -> str:
        """Return the department's light: red when late or overdue, yellow due today, else green."""
        if self.late or self.overdue:
            return "red"
        if self.opinion is None and self.days_left is not None and self.days_left <= 1:
            return "yellow"
        return "green"


def department_progress(
    round_: Mapping[str, Any], today: date, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> list[DepartmentProgress]:
    """Return each department of a round with its due date, its opinion and whether it is late."""
    rows = []
    for d in round_["departments"]:
        due = date.fromisoformat(d["due"])
        opinion = d["opinion"]
        waiting = opinion is None and round_["status"] == OPEN
        days_left = None
        if waiting and today <= due:
            try:
                days_left = working_days_between(today, due, calendar)
            except CalendarUnknown:  # a due date in a year whose holidays are not yet published
                days_left = None
        rows.append(
            DepartmentProgress(
                department=d["department"],
                lead=d["department"] == round_["lead"],
                due=due,
                opinion=opinion,
                late=bool(opinion and opinion["late"]),
                overdue=waiting and today > due,
                days_left=days_left,
            )
        )
    return rows


# --- The fold's steps ----------------------------------------------------------------------------


def _from_central(event: ev.Event) -> None:
    if event.writer != ev.CENTRAL_WRITER:
        raise NotAllowed(N_("联审只在中心进行，乡镇设备不能发起联审或提出联审意见。"))


def _text(p: Mapping[str, Any], key: str, message: str, *, required: bool = True) -> str:
    value = p.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput(message, field=key)
    return value.strip()


def _names(definition: Mapping[str, Any]) -> str:
    return "、".join(d["name"] for d in definition["departments"])


def opened_step(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    """Open a round of joint review at the unit holding the case (发起联审)."""
    _from_central(event)
    definition = required_here(state)
    if definition is None:
        raise NotAllowed(N_("该事项在本级没有联审环节，不能发起联审。"))
    if _text(p, "by_org", N_("缺少发起联审的单位。")) != state.holder_code:
        raise NotAllowed(N_("只有当前办理该办件的单位才能发起联审。"))
    held = current_round(state)
    if held is not None and held["status"] == OPEN:
        raise NotAllowed(N_("联审已经发起，正在等待各部门意见，不能重复发起。"))
    if held is not None:
        raise NotAllowed(N_("本级联审已经完成，不能重复发起。"))
    raw = p.get("departments")
    expected = [d["name"] for d in definition["departments"]]
    if (
        not isinstance(raw, list)
        or [e.get("department") if isinstance(e, Mapping) else None for e in raw] != expected
    ):
        raise InvalidInput(
            N_("联审部门须与事项目录规定的一致（%(departments)s）。"),
            field="departments",
            departments=_names(definition),
        )
    departments = []
    for entry in raw:
        try:
            due = date.fromisoformat(str(entry.get("due")))
        except ValueError:
            due = None
        if due is None or due < event.day:
            raise InvalidInput(
                N_("联审部门“%(name)s”的办理期限不正确。"),
                field="departments",
                name=entry["department"],
            )
        departments.append(
            {"department": entry["department"], "due": due.isoformat(), "opinion": None}
        )
    round_ = {
        "round_id": event.event_id,
        "level": definition["level"],
        "by_org": state.holder_code,
        "lead": definition["lead"],
        "opened_by": event.actor,
        "opened_at": event.at,
        "opened_on": event.day.isoformat(),
        "note": _text(p, "note", N_("联审说明格式不正确。"), required=False),
        "status": OPEN,
        "departments": departments,
        "completed_on": None,
    }
    return with_changes(state, joint_reviews=state.joint_reviews + (round_,))


def opinion_step(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    """Record one department's opinion in the open round; the last one completes the round."""
    _from_central(event)
    round_ = current_round(state)
    if round_ is None:
        raise NotAllowed(N_("本办件当前没有进行中的联审，不能提出联审意见。"))
    if _text(p, "by_org", N_("缺少提出意见的单位。")) != round_["by_org"]:
        raise NotAllowed(N_("只有联审单位的部门才能提出联审意见。"))
    department = _text(p, "department", N_("缺少提出意见的部门。"))
    index = next(
        (i for i, d in enumerate(round_["departments"]) if d["department"] == department), None
    )
    if index is None:
        raise NotAllowed(
            N_("“%(department)s”不在本次联审的部门之中，不能提出联审意见。"), department=department
        )
    asked = round_["departments"][index]
    if asked["opinion"] is not None:
        raise NotAllowed(
            N_("“%(department)s”已经提出过联审意见，不能重复提出。"), department=department
        )
    conclusion = p.get("conclusion")
    if conclusion not in CONCLUSIONS:
        raise InvalidInput(N_("请选择联审结论（同意或不同意）。"), field="conclusion")
    text = _text(p, "text", N_("请填写联审意见。"))
    opinion = {
        "conclusion": conclusion,
        "text": text,
        "by": event.actor,
        "at": event.at,
        "on": event.day.isoformat(),
        "late": event.day.isoformat() > asked["due"],
    }
    departments = list(round_["departments"])
    departments[index] = {**asked, "opinion": opinion}
    done = all(d["opinion"] is not None for d in departments)
    changed = {
        **round_,
        "departments": departments,
        "status": COMPLETE if done else OPEN,
        "completed_on": event.day.isoformat() if done else None,
    }
    rounds = tuple(changed if r is round_ else r for r in state.joint_reviews)
    return with_changes(state, joint_reviews=rounds)


def gated(step: Step) -> Step:
    """Wrap a decision or an onward forward so that it waits for the level's joint review."""

    def check_then_step(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
        definition = required_here(state)
        if definition is not None:
            round_ = current_round(state)
            if round_ is None:
                raise NotAllowed(
                    N_(
                        "该事项在本级须经多部门联审（%(departments)s），请先发起联审，"
                        "各部门意见齐全后再审批或转报。"
                    ),
                    departments=_names(definition),
                )
            if round_["status"] != COMPLETE:
                raise NotAllowed(
                    N_("联审尚未结束：%(departments)s 尚未提出意见，不能审批或转报。"),
                    departments="、".join(waiting_departments(round_)),
                )
        return step(state, event, p)

    return check_then_step


def closing(step: Step) -> Step:
    """Wrap a return for supplement so that it ends the rounds of joint review of this climb."""

    def close_then_step(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
        following = step(state, event, p)
        if not any(r["status"] != CLOSED for r in state.joint_reviews):
            return following
        rounds = tuple(
            {**r, "status": CLOSED} if r["status"] != CLOSED else r for r in state.joint_reviews
        )
        return with_changes(following, joint_reviews=rounds)

    return close_then_step


JOINT_STEPS: dict[str, Step] = {
    ev.JOINT_REVIEW_OPENED: opened_step,
    ev.JOINT_OPINION: opinion_step,
}
