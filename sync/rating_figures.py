"""The figures of 好差评 (per unit, item and staff member, per month), kept incrementally.

Every figure is a count, and every count is a sum over cases of what one case contributes
(``contributions``). A store keeps the sums in a table and, whenever a case's state changes, adds
the difference between what the case contributes now and what it contributed before (``change``):
no page re-reads the log, and a plain recount (the sum of ``contributions`` over all cases) gives
the same table, which is what the tests check.

What counts, and where:
- ``completed``, ``rated``: a completed case, and whether it has a rating, under the window's unit
  (the case's org unit), the item, and the staff member who completed it; month of completion.
  Rating rate = rated / completed.
- ``ratings``, ``satisfied``, ``bad``: each rating under the unit that handled the rated step (the
  unit above for the result of a forwarded item), the item and the staff member who took the step;
  month of the rating. Satisfaction rate = satisfied (非常满意 + 满意) / ratings.
- ``tasks``, ``answered``, ``answered_on_time``: each 差评's rectification task under the same keys
  as its rating; month the task opened. On-time rate = answered on time / tasks due (answered, or
  still open past their due day: the latter depends on today, so the page counts them from the open
  tasks, which are few).
- ``callbacks_due``, ``called_back``: every task, and every completed case in the callback sample
  without a 差评; whether someone reached the applicant. Callback rate = called back / due.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sync.case_state import COMPLETED, CaseState
from sync.events import business_date
from sync.rating_scale import SATISFIED_LEVELS
from sync.rectification_rules import answered_on, in_sample, task_unit

UNIT, ITEM, STAFF = "unit", "item", "staff"
DIMENSIONS = (UNIT, ITEM, STAFF)
METRICS = (
    "completed",
    "rated",
    "ratings",
    "satisfied",
    "bad",
    "tasks",
    "answered",
    "answered_on_time",
    "callbacks_due",
    "called_back",
)

# (dimension, key, month "YYYY-MM", metric)
FigureKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class FigureRules:
    """What the figures need beyond the case: a task's due day (from the published rectification
    days and the working calendar) and the share of completed cases called back."""

    due: Callable[[Mapping[str, Any]], date]
    sample_percent: int


def staff_key(org_code: str, actor: str | None) -> str:
    """Return the key of a staff member: user names are unique only within their unit."""
    return f"{org_code}/{actor}" if actor else ""


def _month(at: str) -> str:
    return business_date(at).isoformat()[:7]


def contributions(state: CaseState, rules: FigureRules) -> Counter[FigureKey]:
    """Return what one case adds to each figure."""
    counts: Counter[FigureKey] = Counter()
    item = str(state.item.get("code", ""))

    def add(unit: str, actor: str | None, month: str, metric: str) -> None:
        for dimension, key in ((UNIT, unit), (ITEM, item), (STAFF, staff_key(unit, actor))):
            if key:
                counts[(dimension, key, month, metric)] += 1

    handled = {"acceptance": state.accepted_by, "result": state.completed_by}
    if state.state == COMPLETED and state.completed_on:
        month = state.completed_on[:7]
        add(state.org_code, state.completed_by, month, "completed")
        if state.ratings:
            add(state.org_code, state.completed_by, month, "rated")
        if not state.rectifications and in_sample(state.case_id, rules.sample_percent):
            add(state.org_code, state.completed_by, month, "callbacks_due")
            if any(attempt["reached"] for attempt in state.callbacks):
                add(state.org_code, state.completed_by, month, "called_back")
    for rating in state.ratings:
        unit = task_unit(state, rating["step"])
        actor = handled.get(rating["step"]) if unit == state.org_code else None
        month = _month(rating["at"])
        add(unit, actor, month, "ratings")
        if rating["level"] in SATISFIED_LEVELS:
            add(unit, actor, month, "satisfied")
        if rating["bad"]:
            add(unit, actor, month, "bad")
    for task in state.rectifications:
        unit = task["unit"]
        actor = handled.get(task["step"]) if unit == state.org_code else None
        month = task["opened_on"][:7]
        add(unit, actor, month, "tasks")
        add(unit, actor, month, "callbacks_due")
        done = answered_on(task)
        if done is not None:
            add(unit, actor, month, "answered")
            if done <= rules.due(task):
                add(unit, actor, month, "answered_on_time")
        if any(attempt["reached"] for attempt in task["callbacks"]):
            add(unit, actor, month, "called_back")
    return counts


def change(before: CaseState | None, after: CaseState, rules: FigureRules) -> dict[FigureKey, int]:
    """Return what to add to the figures when a case goes from ``before`` (None: new) to ``after``:
    only the counts that differ, negative where the case contributes less than it did."""
    now = contributions(after, rules)
    if before is not None:
        now.subtract(contributions(before, rules))
    return {key: value for key, value in now.items() if value}


def recount(states: Iterable[CaseState], rules: FigureRules) -> Counter[FigureKey]:
    """Return every figure counted afresh from the cases (the check of the kept ones)."""
    total: Counter[FigureKey] = Counter()
    for state in states:
        total.update(contributions(state, rules))
    return total


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def rates(counts: Mapping[str, int], open_overdue: int = 0) -> dict[str, Any]:
    """Return the figures a page shows from one row of counts (metric → count) and the number of
    that row's open tasks already past their due day: each rate None when it has no base."""
    due = counts.get("answered", 0) + open_overdue
    return {
        **{metric: counts.get(metric, 0) for metric in METRICS},
        "open_overdue": open_overdue,
        "rating_rate": _share(counts.get("rated", 0), counts.get("completed", 0)),
        "satisfaction_rate": _share(counts.get("satisfied", 0), counts.get("ratings", 0)),
        "on_time_rate": _share(counts.get("answered_on_time", 0), due),
        "callback_rate": _share(counts.get("called_back", 0), counts.get("callbacks_due", 0)),
    }
