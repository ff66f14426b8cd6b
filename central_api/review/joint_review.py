"""Joint review (联审 / 会签) at central: the lead unit opens the round, each department answers.

The rules live in ``sync.joint_review_rules`` (the fold refuses what they forbid); here central
works out each department's due date from its published calendar, checks who may act, and writes
through ``central_api.review.central_log``, central's one write path. A department reviewer's list
of cases (``department_cases``) is read from the cases their unit holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from central_api import roles
from central_api.review.central_log import write_event
from central_api.stores.review_store import CaseScope, InboxFilter, ReviewStore
from central_api.stores.store import CentralStore
from sync import events as ev
from sync import joint_review_rules as rules
from sync.deadlines import WorkingCalendar
from sync.errors import N_, InvalidInput, NotAllowed
from sync.events import Event, business_date, format_time
from sync.fold import CaseState
from sync.signing import SigningKey

MAX_OPINION = 1000


def open_joint_review(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    by_org: str,
    actor: str,
    now: datetime,
    calendar: WorkingCalendar,
    note: str = "",
) -> Event:
    """Ask every department of the item's parallel step at once, each with its own due date."""
    opened_on = business_date(format_time(now))
    payload: dict[str, object] = {"by_org": by_org, "departments": [], "note": note.strip()[:500]}

    def check(state: CaseState) -> None:
        if state.holder_code != by_org:
            raise NotAllowed(
                N_("办件 %(number)s 不在本单位办理，本单位不能发起联审。"), number=case_number
            )
        definition = rules.required_here(state)
        if definition is not None:
            # The due dates need the calendar (and may need next year's): the fold cannot.
            payload["departments"] = rules.due_dates(definition, opened_on, calendar)

    return write_event(
        store, central_key, case_number, ev.JOINT_REVIEW_OPENED, payload, actor, now, check
    )


def give_joint_opinion(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    by_org: str,
    department: str,
    conclusion: str,
    text: str,
    actor: str,
    now: datetime,
) -> Event:
    """Record the opinion of the user's department on a case in joint review at the user's unit."""
    if not department:
        raise NotAllowed(N_("您的账号没有所属部门，不能提出联审意见；请联系系统管理员。"))
    if conclusion not in rules.CONCLUSIONS:
        raise InvalidInput(N_("请选择联审结论（同意或不同意）。"), field="conclusion")
    if not text.strip():
        raise InvalidInput(N_("请填写联审意见。"), field="text")
    if len(text.strip()) > MAX_OPINION:
        raise InvalidInput(N_("联审意见不能超过 %(max)s 个字。"), field="text", max=MAX_OPINION)
    payload = {
        "by_org": by_org,
        "department": department,
        "conclusion": conclusion,
        "text": text.strip(),
    }
    return write_event(
        store, central_key, case_number, ev.JOINT_OPINION, payload, actor, now, lambda s: None
    )


@dataclass(frozen=True)
class JointView:
    """What the case page shows of joint review, and which of its forms the user may use."""

    definition: Mapping[str, Any] | None  # the item's parallel step due at this level, if any
    round: Mapping[str, Any] | None  # this level's open or complete round
    progress: list[rules.DepartmentProgress]
    earlier: list[Mapping[str, Any]]  # rounds of other levels, or ended by a return
    may_open: bool
    my_department: str  # the department whose opinion the user may give now ("" if none)

    @property
    def shown(self) -> bool:
        """Tell whether the page has anything of joint review to show."""
        return bool(self.definition or self.round or self.earlier)


def case_view(
    state: CaseState, user: Mapping[str, Any], today: date, calendar: WorkingCalendar
) -> JointView:
    """Return the joint review of a case as the user sees it on the case page."""
    round_ = rules.current_round(state)
    definition = rules.required_here(state)
    holding = user["role"] in roles.REVIEWERS and state.holder_code == user["org_code"]
    mine = ""
    if (
        round_ is not None
        and round_["status"] == rules.OPEN
        and roles.may(user["role"], "joint_opinion")
        and round_["by_org"] == user["org_code"]
        and user.get("department") in rules.waiting_departments(round_)
    ):
        mine = str(user["department"])
    return JointView(
        definition=definition,
        round=round_,
        progress=rules.department_progress(round_, today, calendar) if round_ else [],
        earlier=[r for r in state.joint_reviews if r is not round_],
        may_open=holding
        and roles.may(user["role"], "open_joint_review")
        and definition is not None
        and round_ is None,
        my_department=mine,
    )


@dataclass(frozen=True)
class DepartmentCase:
    """One case of a department reviewer's list: the case and where their department stands."""

    state: CaseState
    round: Mapping[str, Any]
    mine: rules.DepartmentProgress


def department_cases(
    reviews: ReviewStore,
    user: Mapping[str, Any],
    today: date,
    calendar: WorkingCalendar,
) -> tuple[list[DepartmentCase], list[DepartmentCase]]:
    """Return the cases of the user's unit that ask the user's department: those still waiting
    for its opinion (most urgent first), and those it has answered."""
    department = user.get("department") or ""
    waiting, answered = [], []
    if not department:
        return waiting, answered
    # A unit's open cases are a few thousand at most; their states are read once per request.
    rows = reviews.inbox_rows(CaseScope(holder_code=user["org_code"]), InboxFilter(), limit=None)
    for row in rows:
        state: CaseState = row["state_obj"]
        round_ = rules.current_round(state)
        if round_ is None or round_["by_org"] != user["org_code"]:
            continue
        progress = rules.department_progress(round_, today, calendar)
        mine = next((p for p in progress if p.department == department), None)
        if mine is None:
            continue
        entry = DepartmentCase(state, round_, mine)
        (waiting if mine.opinion is None else answered).append(entry)
    waiting.sort(key=lambda e: (not e.state.green_channel, e.mine.due, e.state.case_number))
    answered.sort(key=lambda e: e.mine.opinion["at"] if e.mine.opinion else "", reverse=True)
    return waiting, answered
