"""The 好差评 figures, the casework figures, the 差评 tasks' rows and the callback queue, kept as the
case log projects.

``project`` runs inside the one write path (``case_log``), in the transaction of the event, with the
case's state before and after it: it adds the change of the case's contribution to the figures
(``sync.rating_figures.change`` and ``sync.case_figures.change``) and replaces the case's task and
queue rows, so the pages read a few rows and never every case's state. ``refigure`` counts all
of it afresh from the cases: the migrations that made the tables fill them so, and so does
installing a calendar or a rating scale, which move due days and the callback sample (the kept
counts were made under the old ones).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any

from sync import case_figures
from sync.case_figures import CaseFigureKey, CaseFigureRules
from sync.case_state import COMPLETED, TASK_CALLBACK
from sync.deadlines import WorkingCalendar
from sync.fold import CaseState
from sync.rating_figures import FigureKey, FigureRules, change, contributions, staff_key
from sync.rectification_rules import in_sample, task_due
from township_app.stores.store import Store


def figure_rules(store: Store, calendar: WorkingCalendar | None = None) -> FigureRules:
    """Return the rules the figures are counted under here: each task's due day from the
    rectification days of the scale its 差评 was given on and the installed working calendar, and
    the installed scale's callback sample."""
    calendar = calendar or WorkingCalendar(store.calendar_years())
    days: dict[str, int] = {}

    def due(task: Mapping[str, Any]) -> date:
        version = task["scale_version"]
        if version not in days:
            days[version] = store.rating_scale(version).rectification_days
        return task_due(task, days[version], calendar)

    return FigureRules(due=due, sample_percent=store.rating_scale().callback_sample_percent)


def case_figure_rules(store: Store, calendar: WorkingCalendar | None = None) -> CaseFigureRules:
    """Return the rules the casework figures are counted under here: the installed calendar."""
    return case_figures.calendar_rules(calendar or WorkingCalendar(store.calendar_years()))


def task_rows(state: CaseState, rules: FigureRules) -> list[dict[str, Any]]:
    """Return the rows of a case's 差评 tasks for the 差评整改 list."""
    handled = {"acceptance": state.accepted_by, "result": state.completed_by}
    rows = []
    for task in state.rectifications:
        unit = task["unit"]
        actor = handled.get(task["step"]) if unit == state.org_code else None
        rating = next(r for r in state.ratings if r["rating_id"] == task["rating_id"])
        answered = task["answered"]
        rows.append(
            {
                "case_id": state.case_id,
                "rating_id": task["rating_id"],
                "unit": unit,
                "org_code": state.org_code,
                "staff": staff_key(unit, actor),
                "stage": task["stage"],
                "step": task["step"],
                "case_number": state.case_number,
                "item_code": str(state.item.get("code", "")),
                "item_name": str(state.item.get("name", "")),
                "level": rating["level"],
                "scale_version": task["scale_version"],
                "opened_on": task["opened_on"],
                "due_on": rules.due(task).isoformat(),
                "answered_on": answered["on"] if answered else None,
            }
        )
    return rows


def queue_rows(state: CaseState, sample_percent: int) -> list[dict[str, Any]]:
    """Return what of a case waits for a callback: each 差评 task at its callback stage, or the
    completed case itself when it is in the sample, has no 差评 and nobody has reached the
    applicant yet (the sample's rule, as ``sync.rating_figures`` counts it)."""
    base = {
        "case_id": state.case_id,
        "org_code": state.org_code,
        "case_number": state.case_number,
        "item_name": str(state.item.get("name", "")),
    }
    rows = [
        {
            **base,
            "rating_id": task["rating_id"],
            "purpose": "rectification",
            "since": task["answered"]["at"],
            "attempts": len(task["callbacks"]),
        }
        for task in state.rectifications
        if task["stage"] == TASK_CALLBACK
    ]
    if (
        state.state == COMPLETED
        and not state.rectifications
        and in_sample(state.case_id, sample_percent)
        and not any(attempt["reached"] for attempt in state.callbacks)
    ):
        rows.append(
            {
                **base,
                "rating_id": "",
                "purpose": "sample",
                "since": state.completed_on or state.last_at,
                "attempts": len(state.callbacks),
            }
        )
    return rows


def project(
    store: Store,
    before: CaseState | None,
    after: CaseState,
    rules: FigureRules,
    case_rules: CaseFigureRules,
) -> None:
    """Keep the figures and rows of one case as it goes from ``before`` (None: new) to ``after``
    (inside the event's write transaction)."""
    kept = store.figures
    kept.add_figures(change(before, after, rules))
    kept.add_case_figures(case_figures.change(before, after, case_rules))
    tasks, queue = task_rows(after, rules), queue_rows(after, rules.sample_percent)
    if before is not None and (before.rectifications or before.state == COMPLETED):
        unchanged = tasks == task_rows(before, rules) and queue == queue_rows(
            before, rules.sample_percent
        )
    else:
        unchanged = not tasks and not queue
    if not unchanged:
        kept.replace_case_rows(after.case_id, tasks, queue)


def refigure(store: Store) -> None:
    """Count every kept figure and row afresh from the cases (in the caller's transaction)."""
    refigure_ratings(store)
    refigure_casework(store)


def refigure_casework(store: Store) -> None:
    """Count the casework figures afresh from every case (in the caller's transaction)."""
    rules = case_figure_rules(store)
    kept = store.figures
    kept.clear_case_figures()
    total: Counter[CaseFigureKey] = Counter()
    for raw in kept.case_states_json():
        total.update(case_figures.contributions(CaseState.from_dict(json.loads(raw)), rules))
    kept.add_case_figures({key: value for key, value in total.items() if value})


def refigure_ratings(store: Store) -> None:
    """Count the 好差评 figures, task rows and callback queue afresh from every case (in the
    caller's transaction), one case at a time: a township's years of cases need not fit in
    memory."""
    rules = figure_rules(store)
    kept = store.figures
    kept.clear()
    total: Counter[FigureKey] = Counter()
    for raw in kept.case_states_json():
        state = CaseState.from_dict(json.loads(raw))
        total.update(contributions(state, rules))
        tasks, queue = task_rows(state, rules), queue_rows(state, rules.sample_percent)
        if tasks or queue:
            kept.replace_case_rows(state.case_id, tasks, queue)
    kept.add_figures(dict(total))
