"""SQL of the casework figures kept at central (``case_figures`` by day and ``case_figures_monthly``
by month, ``sync.case_figures``): written by ``figure_store.keep`` in the transaction that writes
the cases' projections, rebuilt by its ``recount``, read by the dashboard (``dashboard_store``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date

from sqlalchemy import Connection, select

from central_api.stores import schema as t
from sync.case_figures import CaseFigureKey, CaseFigureRules, calendar_rules
from sync.case_state import CaseState
from sync.deadlines import WorkingCalendar, YearCalendar


def strict_calendar_of(c: Connection) -> WorkingCalendar:
    """Return the working calendar with every published year laid over it; a day in a year that
    nobody has published counts no on-time figure (the township counts it so too), until the
    year is published and the figures are recounted."""
    rows = c.execute(select(t.calendar_versions.c.body)).all()
    return WorkingCalendar([YearCalendar.from_dict(json.loads(r[0])) for r in rows])


def lazy_rules(calendar: Callable[[], WorkingCalendar]) -> CaseFigureRules:
    """Return the figures' rules, reading the calendar only when a completed promised case asks
    for its due day or working days (most of ingest never does)."""
    held: list[CaseFigureRules] = []

    def made() -> CaseFigureRules:
        if not held:
            held.append(calendar_rules(calendar()))
        return held[0]

    def due(state: CaseState) -> date | None:
        return made().due(state)

    def days_used(state: CaseState) -> int | None:
        return made().days_used(state)

    return CaseFigureRules(days_used=days_used, due=due)


def by_month(figures: Mapping[CaseFigureKey, int]) -> Counter[CaseFigureKey]:
    """Return the figures summed by month (the day key cut to "YYYY-MM"), zeros left out."""
    months: Counter[CaseFigureKey] = Counter()
    for (dimension, key, day, metric), value in figures.items():
        months[(dimension, key, day[:7], metric)] += value
    return Counter({key: value for key, value in months.items() if value})


def add_case_figures(c: Connection, deltas: Mapping[CaseFigureKey, int]) -> None:
    """Add to the kept case figures, by day and by month (a row is made the first time), in key
    order: two transactions that add to the same figures lock them in the same order and cannot
    deadlock."""
    if not deltas:
        return
    mark = "?" if c.dialect.paramstyle == "qmark" else "%s"
    for table, when, rows in (
        ("case_figures", "day", deltas),
        ("case_figures_monthly", "month", by_month(deltas)),
    ):
        statement = (
            f"INSERT INTO {table} (dimension, key, {when}, metric, value) "
            f"VALUES ({', '.join([mark] * 5)}) "
            f"ON CONFLICT (dimension, key, {when}, metric) "
            f"DO UPDATE SET value = {table}.value + excluded.value"
        )
        if rows:
            c.exec_driver_sql(statement, [(*key, value) for key, value in sorted(rows.items())])


def kept_case_figures(c: Connection) -> Counter[CaseFigureKey]:
    """Return every kept case figure by day that is not zero."""
    f = t.case_figures.c
    query = select(f.dimension, f.key, f.day, f.metric, f.value).where(f.value != 0)
    return Counter({(r[0], r[1], r[2], r[3]): int(r[4]) for r in c.execute(query)})


def kept_monthly_figures(c: Connection) -> Counter[CaseFigureKey]:
    """Return every kept case figure by month that is not zero."""
    f = t.case_figures_monthly.c
    query = select(f.dimension, f.key, f.month, f.metric, f.value).where(f.value != 0)
    return Counter({(r[0], r[1], r[2], r[3]): int(r[4]) for r in c.execute(query)})
