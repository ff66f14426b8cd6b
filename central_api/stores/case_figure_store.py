"""SQL of the casework figures kept at central (``case_figures`` by day and ``case_figures_monthly``
by month, ``sync.case_figures``): written by ``figure_store.keep`` in the transaction that writes
the cases' projections, rebuilt by its ``recount``, read by the dashboard (``dashboard_store``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from sqlalchemy import Connection, select, text

from central_api.stores import schema as t
from sync.case_figures import (
    TREE,
    TREE_ITEM,
    UNIT_ITEM,
    CaseFigureKey,
    CaseFigureRules,
    Lineage,
    calendar_rules,
    lineage_of,
    with_tree,
)
from sync.case_state import CaseState
from sync.deadlines import WorkingCalendar, YearCalendar
from sync.rating_figures import UNIT


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


def lineage_for(c: Connection, codes: Iterable[str]) -> Lineage:
    """Return the lineage (the unit and the units above it) of these units and their ancestors,
    read from the org tree a level at a time (a handful of small queries per ingest batch)."""
    parents: dict[str, str | None] = {}
    wanted = set(codes)
    o = t.org_units.c
    while wanted:
        rows = c.execute(select(o.code, o.parent_code).where(o.code.in_(sorted(wanted)))).all()
        parents.update({r[0]: r[1] for r in rows})
        wanted = {r[1] for r in rows if r[1] and r[1] not in parents}
    return lineage_of(parents)


def units_of(figures: Iterable[CaseFigureKey]) -> set[str]:
    """Return the units whose rows these figures are (for their lineage)."""
    found = set()
    for dimension, key, _day, _metric in figures:
        if dimension == UNIT:
            found.add(key)
        elif dimension == UNIT_ITEM:
            found.add(key.partition("/")[0])
    return found


def with_tree_of(c: Connection, figures: Mapping[CaseFigureKey, int]) -> Counter[CaseFigureKey]:
    """Return the figures with their sums up the org tree as it is now (``sync.case_figures``)."""
    return with_tree(figures, lineage_for(c, units_of(figures)))


def rebuild_tree_figures(c: Connection) -> None:
    """Make the sums up the org tree (TREE, TREE_ITEM) anew from the units' own rows, in SQL (no
    case is read): after the org tree is replaced (a township moved to another county), and when
    the sums are first made (migration 0013)."""
    o = t.org_units.c
    parents = {r[0]: r[1] for r in c.execute(select(o.code, o.parent_code))}
    lineage = lineage_of(parents)
    pairs = [(code, above, int(n > 0)) for code in parents for n, above in enumerate(lineage(code))]
    postgres = c.dialect.name == "postgresql"
    c.exec_driver_sql("DROP TABLE IF EXISTS unit_lineage")
    c.exec_driver_sql(
        "CREATE TEMPORARY TABLE unit_lineage (code VARCHAR(12), above VARCHAR(12), higher INTEGER)"
    )
    if pairs:
        c.execute(
            text("INSERT INTO unit_lineage (code, above, higher) VALUES (:code, :above, :higher)"),
            [{"code": a, "above": b, "higher": n} for a, b, n in pairs],
        )
    c.exec_driver_sql("CREATE INDEX unit_lineage_code ON unit_lineage (code)")
    unit_part = (
        "split_part(f.key, '/', 1)" if postgres else "substr(f.key, 1, instr(f.key, '/') - 1)"
    )
    item_part = (
        "substr(f.key, strpos(f.key, '/'))" if postgres else "substr(f.key, instr(f.key, '/'))"
    )
    for table, when in (("case_figures", "day"), ("case_figures_monthly", "month")):
        c.exec_driver_sql(f"DELETE FROM {table} WHERE dimension IN ('{TREE}', '{TREE_ITEM}')")
        c.exec_driver_sql(
            f"INSERT INTO {table} (dimension, key, {when}, metric, value)"
            f" SELECT '{TREE}', l.above, f.{when}, f.metric, SUM(f.value)"
            f" FROM {table} f JOIN unit_lineage l ON l.code = f.key"
            f" WHERE f.dimension = '{UNIT}' GROUP BY l.above, f.{when}, f.metric"
        )
        c.exec_driver_sql(
            f"INSERT INTO {table} (dimension, key, {when}, metric, value)"
            f" SELECT '{TREE_ITEM}', l.above || {item_part}, f.{when}, f.metric, SUM(f.value)"
            f" FROM {table} f JOIN unit_lineage l ON l.code = {unit_part} AND l.higher = 1"
            f" WHERE f.dimension = '{UNIT_ITEM}'"
            f" GROUP BY l.above || {item_part}, f.{when}, f.metric"
        )
    c.exec_driver_sql("DROP TABLE unit_lineage")
