"""SQL of the supervisors' dashboard (统计分析): sums over the kept figures (``case_figures`` by
day, ``rating_figures`` by month) in ranges of their primary keys, and today's overdue cases from
the open warnings. Nothing here reads a case's state or the log: a page's cost follows the number
of units, items, staff members and days asked for, not the number of cases.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, func, or_, select

from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from sync.case_figures import UNIT_ITEM
from sync.rating_figures import STAFF, UNIT
from sync.supervision_rules import LIMIT, RED

_C = t.case_figures.c
_R = t.rating_figures.c
_W = t.warnings.c

Counts = dict[str, dict[str, int]]


def _key_filter(column: Any, dimension: str, units: Iterable[str] | None) -> Any:
    """Return the condition on ``key`` for the figures of these units (None: every unit): the
    unit's own key, or the range of keys "unit/…" of its staff and items (a range of the primary
    key, which an index serves; '0' is the character after '/')."""
    if units is None:
        return None
    codes = sorted(set(units))
    if dimension == UNIT:
        return column.in_(codes)
    return or_(*[and_(column >= code + "/", column < code + "0") for code in codes])


class DashboardStore:
    """The dashboard's reads over one central database."""

    def __init__(self, store: CentralStore) -> None:
        self.store = store

    def case_sums(
        self, dimension: str, units: Iterable[str] | None, first: str, last: str
    ) -> Counts:
        """Return the casework counts of one dimension over days ``first``..``last`` (ISO), by key
        and metric, for the keys of these units (None: every unit)."""
        if units is not None and not (units := list(units)):
            return {}
        query = (
            select(_C.key, _C.metric, func.sum(_C.value))
            .where(_C.dimension == dimension, _C.day >= first, _C.day <= last)
            .group_by(_C.key, _C.metric)
        )
        condition = _key_filter(_C.key, dimension, units)
        if condition is not None:
            query = query.where(condition)
        found: Counts = defaultdict(dict)
        with self.store.reading() as c:
            for key, metric, value in c.execute(query):
                found[key][metric] = int(value)
        return dict(found)

    def case_trend(
        self,
        units: Iterable[str] | None,
        first: str,
        last: str,
        metrics: tuple[str, ...],
        *,
        by_month: bool,
    ) -> Counts:
        """Return the counts of some metrics of these units summed by day (or month): when →
        metric → count."""
        if units is not None and not (units := list(units)):
            return {}
        when = func.substr(_C.day, 1, 7) if by_month else _C.day
        query = (
            select(when, _C.metric, func.sum(_C.value))
            .where(
                _C.dimension == UNIT,
                _C.day >= first,
                _C.day <= last,
                _C.metric.in_(metrics),
            )
            .group_by(when, _C.metric)
        )
        condition = _key_filter(_C.key, UNIT, units)
        if condition is not None:
            query = query.where(condition)
        found: Counts = defaultdict(dict)
        with self.store.reading() as c:
            for day, metric, value in c.execute(query):
                found[day][metric] = int(value)
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
        condition = _key_filter(_R.key, dimension if dimension != UNIT_ITEM else STAFF, units)
        if condition is not None:
            query = query.where(condition)
        found: Counts = defaultdict(dict)
        with self.store.reading() as c:
            for key, metric, value in c.execute(query):
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
        v = t.catalogue_versions.c
        with self.store.reading() as c:
            row = c.execute(select(v.body).order_by(v.serial.desc()).limit(1)).first()
        if row is None:
            return {}
        items = json.loads(row[0]).get("items") or []
        return {str(item.get("code")): str(item.get("name", "")) for item in items}

    def org_tree(self) -> list[dict[str, Any]]:
        """Return every unit with its name and parent."""
        return self.store.org_units()
