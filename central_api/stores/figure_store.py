"""SQL of the 好差评 figures and of what the supervisors' lists read beside them: the kept figures
(``rating_figures``), one row per 差评 task (``rectification_tasks``) and the sample callback's
candidates (``callback_candidates``); and, in the same pass, the casework figures
(``case_figures``, whose SQL is in ``case_figure_store``).

All four are copies of what the cases' states say. ``keep`` changes them in the transaction that
writes the cases' projections (``LogStore.save_cases``), from each case's state before and after,
so no page re-reads the log; ``recount`` rebuilds them from every case, which is the check.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select

from central_api.stores import schema as t
from central_api.stores.case_figure_store import (
    add_case_figures,
    by_month,
    kept_case_figures,
    kept_monthly_figures,
    lazy_rules,
    strict_calendar_of,
    with_tree_of,
)
from sync import case_figures
from sync.case_figures import CaseFigureKey, CaseFigureRules
from sync.case_state import COMPLETED, CaseState
from sync.deadlines import WorkingCalendar, YearCalendar
from sync.errors import CalendarUnknown
from sync.rating_figures import FigureKey, FigureRules, change, contributions, staff_key
from sync.rating_scale import DEFAULT_SCALE, RatingScale
from sync.rectification_rules import answered_on, in_sample, task_due

Pair = tuple[CaseState | None, CaseState]

_TASK_COLUMNS = (
    "rating_id",
    "case_id",
    "case_number",
    "org_code",
    "unit",
    "staff",
    "item_code",
    "item_name",
    "step",
    "stage",
    "level",
    "opened_on",
    "due_on",
    "answered_on",
    "attempts",
    "updated_at",
)
_CANDIDATE_COLUMNS = (
    "case_id",
    "case_number",
    "org_code",
    "item_code",
    "item_name",
    "completed_on",
    "attempts",
)


class WeekdaysBeyond(WorkingCalendar):
    """The published calendar, and Monday to Friday in a year nobody has published yet.

    A task opened late in December is due in a year whose holidays may not be known; its due day
    is then provisional (holidays not counted) until the year's calendar is published and the
    figures are recounted (`bianmin-central recount-figures`). Ingest must never fail for it.
    """

    def is_working_day(self, d: date) -> bool:
        """Tell whether ``d`` is a working day (a weekday, in a year no calendar covers)."""
        try:
            return super().is_working_day(d)
        except CalendarUnknown:
            return d.weekday() < 5


def make_rules(
    scales: Mapping[str, RatingScale],
    newest: RatingScale | None,
    calendar: Callable[[], WorkingCalendar],
) -> FigureRules:
    """Return the figures' rules from the published scales and calendar: a task is due its scale's
    rectification days after it opened; the newest scale's share of completed cases is called back.
    The calendar is read only when a due day is asked for."""
    held: list[WorkingCalendar] = []

    def due(task: Mapping[str, Any]) -> date:
        if not held:
            held.append(calendar())
        scale = scales.get(str(task.get("scale_version")))
        days = scale.rectification_days if scale else DEFAULT_SCALE.rectification_days
        return task_due(task, days, held[0])

    percent = (newest or DEFAULT_SCALE).callback_sample_percent
    return FigureRules(due=due, sample_percent=percent)


def calendar_of(c: Connection) -> WorkingCalendar:
    """Return the working calendar with every published year laid over it (weekdays beyond)."""
    rows = c.execute(select(t.calendar_versions.c.body)).all()
    return WeekdaysBeyond([YearCalendar.from_dict(json.loads(r[0])) for r in rows])


def counts_in_figures(state: CaseState) -> bool:
    """Tell whether a case can contribute anything: completed, or rated."""
    return state.state == COMPLETED or bool(state.ratings)


def keep(c: Connection, pairs: Sequence[Pair], rules: Callable[[], FigureRules]) -> None:
    """Change the kept figures (好差评 and casework), task rows and callback candidates by what
    these cases changed."""
    case_rules = lazy_rules(lambda: strict_calendar_of(c))
    casework: Counter[CaseFigureKey] = Counter()
    relevant = []
    for before, after in pairs:
        # Every case counts in the casework figures (received, accepted, ...), from its first event.
        casework.update(case_figures.change(before, after, case_rules))
        if counts_in_figures(after) or (before is not None and counts_in_figures(before)):
            relevant.append((before, after))
    casework = with_tree_of(c, {key: value for key, value in casework.items() if value})
    add_case_figures(c, {key: value for key, value in casework.items() if value})
    if not relevant:
        return  # most of ingest: cases on their way, neither completed nor rated
    made = rules()
    total: Counter[FigureKey] = Counter()
    for before, after in relevant:
        total.update(change(before, after, made))
    add_figures(c, {key: value for key, value in total.items() if value})
    # Only a case seen before can have rows to replace: a new one's are inserted.
    seen = {after.case_id for before, after in relevant if before is not None}
    tasks_changed = [
        after
        for before, after in relevant
        if (before.rectifications if before is not None else ()) != after.rectifications
    ]
    _replace(
        c, t.rectification_tasks, _TASK_COLUMNS, tasks_changed, seen,
        lambda s: task_rows(s, made),
    )  # fmt: skip
    candidates_changed = [
        after
        for before, after in relevant
        if (before is not None and candidate_row(before, made)) != candidate_row(after, made)
    ]
    _replace(
        c, t.callback_candidates, _CANDIDATE_COLUMNS, candidates_changed, seen,
        lambda s: [row] if (row := candidate_row(s, made)) else [],
    )  # fmt: skip


def add_figures(c: Connection, deltas: Mapping[FigureKey, int]) -> None:
    """Add to the kept figures (a row is made the first time), in key order: two transactions
    that add to the same figures lock them in the same order and cannot deadlock."""
    if not deltas:
        return
    mark = "?" if c.dialect.paramstyle == "qmark" else "%s"
    statement = (
        "INSERT INTO rating_figures (dimension, key, month, metric, value) "
        f"VALUES ({', '.join([mark] * 5)}) "
        "ON CONFLICT (dimension, key, month, metric) "
        "DO UPDATE SET value = rating_figures.value + excluded.value"
    )
    c.exec_driver_sql(statement, [(*key, value) for key, value in sorted(deltas.items())])


def _replace(
    c: Connection,
    table: Any,
    names: Sequence[str],
    states: list[CaseState],
    seen: set[str],
    rows_of: Callable[[CaseState], list[tuple[Any, ...]]],
) -> None:
    from central_api.stores.log_store import chunked, insert_values

    if not states:
        return
    ids = sorted({s.case_id for s in states} & seen)
    for chunk in chunked(ids):
        c.execute(delete(table).where(table.c.case_id.in_(chunk)))
    insert_values(c, table, names, [row for s in states for row in rows_of(s)])


def task_rows(state: CaseState, rules: FigureRules) -> list[tuple[Any, ...]]:
    """Return the rows of a case's 差评 tasks, in the order of ``_TASK_COLUMNS``."""
    handled = {"acceptance": state.accepted_by, "result": state.completed_by}
    levels = {rating["rating_id"]: rating["level"] for rating in state.ratings}
    rows = []
    for task in state.rectifications:
        unit = task["unit"]
        actor = handled.get(task["step"]) if unit == state.org_code else None
        done = answered_on(task)
        rows.append(
            (
                task["rating_id"],
                state.case_id,
                state.case_number,
                state.org_code,
                unit,
                staff_key(unit, actor),
                str(state.item.get("code", ""))[:40],
                str(state.item.get("name", "")),
                task["step"],
                task["stage"],
                levels.get(task["rating_id"], ""),
                task["opened_on"],
                rules.due(task).isoformat(),
                done.isoformat() if done else None,
                len(task["callbacks"]),
                state.last_at,
            )
        )
    return rows


def candidate_row(state: CaseState, rules: FigureRules) -> tuple[Any, ...] | None:
    """Return the case's row among the sample callback's candidates, or None when it is none: a
    completed case drawn for the sample, with no 差评 task, that nobody has reached yet."""
    if state.state != COMPLETED or not state.completed_on or state.rectifications:
        return None
    if any(attempt["reached"] for attempt in state.callbacks):
        return None
    if not in_sample(state.case_id, rules.sample_percent):
        return None
    return (
        state.case_id,
        state.case_number,
        state.org_code,
        str(state.item.get("code", ""))[:40],
        str(state.item.get("name", "")),
        state.completed_on,
        len(state.callbacks),
    )


def kept_figures(c: Connection) -> Counter[FigureKey]:
    """Return every kept figure that is not zero."""
    f = t.rating_figures.c
    query = select(f.dimension, f.key, f.month, f.metric, f.value).where(f.value != 0)
    return Counter({(r[0], r[1], r[2], r[3]): int(r[4]) for r in c.execute(query)})


def recount(
    c: Connection,
    states: Iterable[CaseState],
    rules: FigureRules,
    case_rules: CaseFigureRules | None = None,
) -> dict[str, int]:
    """Rebuild the figures (好差评 and casework), the task rows and the candidates from these
    states (every case); return how many figures the kept tables had wrong, and how many rows each
    table holds now."""
    from central_api.stores.log_store import insert_values

    case_rules = case_rules or lazy_rules(lambda: strict_calendar_of(c))
    total: Counter[FigureKey] = Counter()
    casework: Counter[CaseFigureKey] = Counter()
    tasks: list[tuple[Any, ...]] = []
    candidates: list[tuple[Any, ...]] = []
    for state in states:
        casework.update(case_figures.contributions(state, case_rules))
        if not counts_in_figures(state):
            continue
        total.update(contributions(state, rules))
        tasks.extend(task_rows(state, rules))
        if (row := candidate_row(state, rules)) is not None:
            candidates.append(row)
    casework = with_tree_of(c, casework)
    kept = kept_figures(c)
    wrong = sum(1 for key in set(kept) | set(total) if kept.get(key, 0) != total.get(key, 0))
    monthly = by_month(casework)
    for held, counted in (
        (kept_case_figures(c), casework),
        (kept_monthly_figures(c), monthly),
    ):
        wrong += sum(
            1 for key in set(held) | set(counted) if held.get(key, 0) != counted.get(key, 0)
        )
    for table in (
        t.rating_figures,
        t.rectification_tasks,
        t.callback_candidates,
        t.case_figures,
        t.case_figures_monthly,
    ):
        c.execute(delete(table))
    add_figures(c, {key: value for key, value in total.items() if value})
    _insert_case_figures(c, t.case_figures, {k: v for k, v in casework.items() if v})
    _insert_case_figures(c, t.case_figures_monthly, monthly)
    insert_values(c, t.rectification_tasks, _TASK_COLUMNS, tasks)
    insert_values(c, t.callback_candidates, _CANDIDATE_COLUMNS, candidates)
    return {
        "wrong": wrong,
        "figures": len(total),
        "case_figures": sum(1 for value in casework.values() if value),
        "tasks": len(tasks),
        "candidates": len(candidates),
    }


def _insert_case_figures(c: Connection, table: Any, figures: Mapping[CaseFigureKey, int]) -> None:
    from central_api.stores.log_store import chunked, insert_values

    # Into an emptied table: plain inserts (COPY on PostgreSQL), in slices to bound memory.
    rows = [(*key, value) for key, value in figures.items()]
    for chunk in chunked(rows, 50_000):
        insert_values(c, table, [column.name for column in table.columns], chunk)


def states_of_every_case(c: Connection, size: int = 2000) -> Iterator[CaseState]:
    """Yield every case's state, reading the projections in slices of ``size`` by case id."""
    from central_api.stores.log_store import _state

    k = t.cases.c
    after = ""
    while True:
        rows = c.execute(
            select(k.case_id, k.state_json).where(k.case_id > after).order_by(k.case_id).limit(size)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _state(row[1])
        after = rows[-1][0]


class KeptFigures:
    """The figures' half of ``CentralStore`` (mixed in): the rules as central published them, and
    the recount."""

    if TYPE_CHECKING:
        # Provided by CentralStore and LogStore; declared for the type checker only.
        _rating_scales: dict[str, RatingScale]

        def rating_scales(
            self, c: Connection, versions: Iterable[str] = ()
        ) -> dict[str, RatingScale]: ...

        def transaction(self) -> Any: ...

    def figure_rules(
        self, c: Connection, pairs: Sequence[tuple[CaseState | None, CaseState]] = ()
    ) -> FigureRules:
        """Return the figures' rules as central published them: each task's scale, the newest
        scale's callback share, the working calendar (read only if a due day is needed)."""
        versions = {
            str(task["scale_version"])
            for pair in pairs
            for state in pair
            if state is not None
            for task in state.rectifications
        }
        scales = self.rating_scales(c, versions)
        return make_rules(scales, self.newest_rating_scale(c), lambda: calendar_of(c))

    def recount_figures(self) -> dict[str, int]:
        """Rebuild the kept figures (好差评 and casework), the 差评 task rows and the callback
        candidates from every case's state, in one transaction; return how many kept figures were
        wrong."""
        self._rating_scales.clear()  # every published scale, as they are now
        with self.transaction() as c:
            if c.dialect.name == "postgresql":
                # No case may change between the read and the rewrite (its change would be added
                # to the table this then replaces): writers of these tables wait until the
                # recount commits. SQLite's write transaction already excludes every writer.
                c.exec_driver_sql(
                    "LOCK TABLE cases, rating_figures, rectification_tasks, callback_candidates,"
                    " case_figures, case_figures_monthly IN SHARE ROW EXCLUSIVE MODE"
                )
            rules = self.figure_rules(c)
            return recount(c, states_of_every_case(c), rules)
