"""SQL of the supervisors' dashboard (统计分析): sums over the kept figures (``case_figures`` by
day and ``case_figures_monthly`` by month, ``rating_figures`` by month) in ranges of their
primary keys, and today's overdue cases from the open warnings. Nothing here reads a case's state
or the log: a page's cost follows the number of units, items, staff members and days asked for,
not the number of cases.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select

from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from sync.case_figures import TREE
from sync.rating_figures import UNIT
from sync.supervision_rules import LIMIT, RED

_C = t.case_figures.c
_R = t.rating_figures.c
_W = t.warnings.c

Counts = dict[str, dict[str, int]]
EXACT_KEYS = (UNIT, TREE)  # keyed by a unit's code itself, not "unit/…"


def _key_filter(column: Any, dimension: str, units: Iterable[str] | None) -> Any:
    """Return the condition on ``key`` for the figures of these units (None: every unit): the
    units' own keys, or for their staff and items ("unit/…") the one range of keys that starts
    with one unit's "code/", or with several units' common prefix (a range of the primary key: a
    subtree's division codes share their parent's digits, so the range holds little else;
    ``_wanted`` drops the rest)."""
    if units is None:
        return None
    codes = sorted(set(units))
    if dimension in EXACT_KEYS:
        return column.in_(codes)
    # "/" sorts just before "0": "370613/" up to "3706130" holds exactly 370613's own keys.
    prefix = f"{codes[0]}/" if len(codes) == 1 else os.path.commonprefix(codes)
    if not prefix:
        return None
    following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < following)


def _wanted(dimension: str, units: Iterable[str] | None) -> Any:
    """Return the test that a key belongs to one of these units."""
    if units is None:
        return lambda key: True
    codes = frozenset(units)
    if dimension in EXACT_KEYS:
        return codes.__contains__
    return lambda key: key.partition("/")[0] in codes


class DashboardStore:
    """The dashboard's reads over one central database."""

    def __init__(self, store: CentralStore) -> None:
        self.store = store

    def case_sums(
        self,
        dimension: str,
        units: Iterable[str] | None,
        days: Sequence[tuple[str, str]],
        months: tuple[str, str] | None,
    ) -> Counts:
        """Return the casework counts of one dimension by key and metric, summed over the ranges
        of ``days`` (from ``case_figures``) and the whole ``months`` (from
        ``case_figures_monthly``), for the keys of these units (None: every unit)."""
        if units is not None and not (units := list(units)):
            return {}
        found: Counts = defaultdict(dict)
        wanted = _wanted(dimension, units)
        with self.store.reading() as c:
            for query in self._ranges(dimension, units, days, months):
                query = query.group_by(query.selected_columns[0], query.selected_columns[1])
                for key, metric, value in c.execute(query):
                    if wanted(key):
                        found[key][metric] = found[key].get(metric, 0) + int(value)
        return dict(found)

    def _ranges(
        self,
        dimension: str,
        units: list[str] | None,
        days: Sequence[tuple[str, str]],
        months: tuple[str, str] | None,
        *,
        when: bool = False,
        metrics: Sequence[str] = (),
    ) -> list[Any]:
        """Return the selects of (key or the day/month, metric, sum) over the day ranges and the
        month range, each on its table's primary key."""
        queries = []
        for table, column, ranges in (
            (t.case_figures, "day", list(days)),
            (t.case_figures_monthly, "month", [months] if months else []),
        ):
            if not ranges:
                continue
            f = table.c
            period = or_(*[and_(f[column] >= a, f[column] <= b) for a, b in ranges])
            first = (
                (func.substr(f[column], 1, 7) if column == "day" else f[column]) if when else f.key
            )
            query = select(first, f.metric, func.sum(f.value)).where(
                f.dimension == dimension, period
            )
            if metrics:
                query = query.where(f.metric.in_(metrics))
            condition = _key_filter(f.key, dimension, units)
            if condition is not None:
                query = query.where(condition)
            queries.append(query)
        return queries

    def case_trend(
        self,
        unit: str,
        days: Sequence[tuple[str, str]],
        months: tuple[str, str] | None,
        metrics: tuple[str, ...],
    ) -> Counts:
        """Return the counts of some metrics of a unit and the units below it (its sums up the
        tree) by day over the ``days`` ranges, or by month when ``months`` is given (the odd days
        at the ends then summed into their months): when → metric → count."""
        found: Counts = defaultdict(dict)
        with self.store.reading() as c:
            if months is None:
                f = _C
                for a, b in days:
                    query = select(f.day, f.metric, func.sum(f.value)).where(
                        f.dimension == TREE,
                        f.key == unit,
                        f.day >= a,
                        f.day <= b,
                        f.metric.in_(metrics),
                    )
                    for day, metric, value in c.execute(query.group_by(f.day, f.metric)):
                        found[day][metric] = found[day].get(metric, 0) + int(value)
                return dict(found)
            for query in self._ranges(TREE, [unit], days, months, when=True, metrics=metrics):
                query = query.group_by(query.selected_columns[0], query.selected_columns[1])
                for month, metric, value in c.execute(query):
                    found[month][metric] = found[month].get(metric, 0) + int(value)
        return dict(found)

    def rating_sums(
        self, dimension: str, units: Iterable[str] | None, first: str, last: str
    ) -> Counts:
        """Return the 好差评 counts of one dimension over months ``first``..``last``
        ("YYYY-MM"), by key and metric, for the keys of these units (None: every unit)."""
        if units is not None and not (units := list(units)):
            return {}
        query = (
            select(_R.key, _R.metric, func.sum(_R.value))
            .where(_R.dimension == dimension, _R.month >= first, _R.month <= last)
            .group_by(_R.key, _R.metric)
        )
        condition = _key_filter(_R.key, dimension, units)
        if condition is not None:
            query = query.where(condition)
        found: Counts = defaultdict(dict)
        wanted = _wanted(dimension, units)
        with self.store.reading() as c:
            for key, metric, value in c.execute(query):
                if wanted(key):
                    found[key][metric] = int(value)
        return dict(found)

    def open_overdue(self, units: Iterable[str] | None) -> dict[str, int]:
        """Return, by the case's own unit, how many open cases are past their promised day today
        (their open red warning on the time limit)."""
        query = (
            select(_W.org_code, func.count(func.distinct(_W.case_id)))
            .where(_W.cleared_at.is_(None), _W.level == RED, _W.stage == LIMIT)
            .group_by(_W.org_code)
        )
        if units is not None:
            query = query.where(_W.org_code.in_(sorted(set(units))))
        with self.store.reading() as c:
            return {r[0]: int(r[1]) for r in c.execute(query)}

    def item_names(self) -> dict[str, str]:
        """Return the items' names by code, as the newest published catalogue names them."""
        return self._newest_items("name")

    def item_departments(self) -> dict[str, str]:
        """Return the department (部门) of each item by code, as the newest catalogue says."""
        return self._newest_items("department")

    def _newest_items(self, field: str) -> dict[str, str]:
        v = t.catalogue_versions.c
        with self.store.reading() as c:
            row = c.execute(select(v.body).order_by(v.serial.desc()).limit(1)).first()
        if row is None:
            return {}
        items = json.loads(row[0]).get("items") or []
        return {str(item.get("code")): str(item.get(field) or "") for item in items}

    def org_tree(self) -> list[dict[str, Any]]:
        """Return every unit with its name and parent."""
        return self.store.org_units()
