"""What a case page shows of its 差评 tasks (差评整改), and which forms the user gets on each:
plain values made from the case's state, the published scales and the working calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from central_api import roles
from sync.case_state import TASK_ANSWER, TASK_RECTIFY, TASK_REVIEW, TASK_VERIFY
from sync.deadlines import WorkingCalendar
from sync.fold import CaseState
from sync.rectification_rules import is_overdue, task_due

UNIT_STAGES = frozenset({TASK_VERIFY, TASK_RECTIFY, TASK_ANSWER})


@dataclass(frozen=True)
class TaskView:
    """One 差评 task on the case page."""

    task: Mapping[str, Any]
    rating: Mapping[str, Any]
    due: date
    overdue: bool
    may_review: bool  # a supervisor above the unit, at the review stage
    may_act: bool  # the county or city unit itself, at one of its stages


def task_views(
    state: CaseState,
    user: Mapping[str, Any],
    supervised: frozenset[str],
    days_of: Mapping[str, int],
    calendar: WorkingCalendar,
    today: date,
) -> list[TaskView]:
    """Return the case's tasks as the page shows them to ``user`` (``supervised``: the units
    under a supervisor's; ``days_of``: each scale version's days to answer)."""
    ratings = {rating["rating_id"]: rating for rating in state.ratings}
    views = []
    for task in state.rectifications:
        due = task_due(task, days_of.get(task["scale_version"], 5), calendar)
        unit = task["unit"]
        views.append(
            TaskView(
                task=task,
                rating=ratings.get(task["rating_id"], {}),
                due=due,
                overdue=is_overdue(task, due, today),
                may_review=roles.may(user["role"], "review_rectifications")
                and task["stage"] == TASK_REVIEW
                and unit in supervised,
                # A township's own task is worked at the township (its device writes it).
                may_act=roles.may(user["role"], "rectify")
                and unit == user["org_code"]
                and unit != state.org_code
                and task["stage"] in UNIT_STAGES,
            )
        )
    return views
