"""The supervisors' and reviewers' dashboard (统计分析): a unit's casework and 好差评 figures over a
period, broken down by the units below it, by item or by staff member, with the trend and the bars
the page draws. Everything comes from sums over the kept tables (``DashboardStore``); the only
figure that depends on today, the open overdue cases, comes from the open warnings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from central_api.stores.dashboard_store import Counts, DashboardStore
from sync.case_figures import TREE, TREE_ITEM, UNIT_ITEM, rates
from sync.errors import N_, NotAllowed
from sync.periods import Period
from sync.rating_figures import STAFF, UNIT
from sync.rating_figures import rates as rating_rates

BY_UNIT, BY_ITEM, BY_DEPARTMENT, BY_STAFF = "unit", "item", "department", "staff"
BREAKDOWNS = (BY_UNIT, BY_ITEM, BY_DEPARTMENT, BY_STAFF)
NO_DEPARTMENT = "—"  # an item the newest catalogue no longer lists
TREND_METRICS = ("received", "completed")
# A city has hundreds of staff members: the page lists the first rows of a breakdown (the most
# received or completed first), and says how many there are.
ROW_LIMIT = 100
# The staff breakdown of a unit with more units than this below it (a province) is not drawn.
STAFF_UNITS_MAX = 400
OUT_OF_SCOPE = N_("该单位不在您的管辖范围内，不能查看其统计。")


@dataclass
class Tree:
    """The org tree as the dashboard needs it: names, parents, and each unit's subtree."""

    names: dict[str, str]
    parents: dict[str, str]
    children: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, units: Iterable[Mapping[str, Any]]) -> Tree:
        """Build the tree from org_units rows."""
        tree = cls(names={}, parents={})
        for unit in units:
            tree.names[unit["code"]] = unit["name"]
            tree.parents[unit["code"]] = unit["parent_code"] or ""
            tree.children.setdefault(unit["parent_code"] or "", []).append(unit["code"])
        return tree

    def subtree(self, code: str) -> frozenset[str]:
        """Return a unit's code and every code below it."""
        found, waiting = set(), [code]
        while waiting:
            current = waiting.pop()
            if current not in found:
                found.add(current)
                waiting.extend(self.children.get(current, ()))
        return frozenset(found)

    def child_towards(self, top: str, code: str) -> str:
        """Return the child of ``top`` on the way down to ``code`` (``top`` for itself)."""
        current = code
        while current and self.parents.get(current, "") != top and current != top:
            current = self.parents.get(current, "")
        return current or code


@dataclass
class Dashboard:
    """What the page shows."""

    unit: str
    period: Period
    by: str
    totals: dict[str, Any]
    rating: dict[str, Any]
    rows: list[dict[str, Any]]
    trend: tuple[list[str], dict[str, list[int]]]
    child_rows: list[dict[str, Any]]
    row_total: int = 0
    staff_too_many: bool = False  # the unit has too many units below it for a staff breakdown


def user_scope(tree: Tree, user: Mapping[str, Any], may_see_all: bool) -> frozenset[str] | None:
    """Return the units whose figures a user may see: their own unit and below (None: all)."""
    return None if may_see_all else tree.subtree(user["org_code"])


def chosen_unit(tree: Tree, scope: frozenset[str] | None, own: str, asked: str) -> str:
    """Return the unit asked for, or the user's own; refuse one outside the user's scope."""
    unit = asked.strip() or own
    if unit not in tree.names or (scope is not None and unit not in scope):
        raise NotAllowed(OUT_OF_SCOPE)
    return unit


def _add(into: dict[str, Counter[str]], key: str, counts: Mapping[str, int]) -> None:
    into.setdefault(key, Counter()).update(counts)


def _regroup(counts: Counts, key_of: Any) -> dict[str, Counter[str]]:
    grouped: dict[str, Counter[str]] = {}
    for key, row in counts.items():
        _add(grouped, key_of(key), row)
    return grouped


def _into_months(by_day: Counts) -> Counts:
    months: Counts = {}
    for day, counts in by_day.items():
        row = months.setdefault(day[:7], {})
        for metric, value in counts.items():
            row[metric] = row.get(metric, 0) + value
    return months


def _steps(period: Period) -> list[str]:
    days = [day.isoformat() for day in period.each_day()]
    return sorted({day[:7] for day in days}) if period.by_month else days


def build(store: DashboardStore, tree: Tree, unit: str, period: Period, by: str) -> Dashboard:
    """Sum the figures of ``unit`` and the units below it over the period, broken down ``by``."""
    under = tree.subtree(unit)
    days, whole = period.split()
    months = period.months()
    below = tree.children.get(unit, [])
    # Each unit below from its sums up the tree (a city's row, not its townships'); the unit's own
    # cases, if it takes any itself, as its own row.
    children = {
        code: Counter(row) for code, row in store.case_sums(TREE, below, days, whole).items()
    }
    if own := store.case_sums(UNIT, [unit], days, whole).get(unit):
        children[unit] = Counter(own)
    overdue = store.open_overdue(under)
    unit_ratings = store.rating_sums(UNIT, under, *months)

    def towards(code: str) -> str:
        return tree.child_towards(unit, code)

    child_overdue: Counter[str] = Counter()
    for code, number in overdue.items():
        child_overdue[towards(code)] += number
    child_ratings = _regroup(unit_ratings, towards)
    totals = rates(sum(children.values(), Counter()), sum(child_overdue.values()))
    rating = rating_rates(sum(child_ratings.values(), Counter()))
    child_rows = sorted(
        (
            {
                "key": code,
                "name": tree.names.get(code, code),
                "drill": code != unit and bool(tree.children.get(code)),
                **rates(children.get(code, Counter()), child_overdue.get(code, 0)),
                "rating": rating_rates(child_ratings.get(code, Counter())),
            }
            for code in set(children) | set(child_overdue) | set(child_ratings)
        ),
        key=lambda row: row["key"],
    )
    staff_too_many = False
    if by == BY_UNIT:
        rows = child_rows
    elif by in (BY_ITEM, BY_DEPARTMENT):
        # The unit's own cases' items and the sums of every unit below it, by item.
        items: dict[str, Counter[str]] = {}
        for dimension in (UNIT_ITEM, TREE_ITEM):
            for key, row in store.case_sums(dimension, [unit], days, whole).items():
                _add(items, key.partition("/")[2], row)
        if by == BY_DEPARTMENT:
            # A department (民政, 人社…) is the sum of its items, as the catalogue assigns them.
            department = store.item_departments()
            items = _regroup(items, lambda code: department.get(code) or NO_DEPARTMENT)
        rows = [{"key": code, **rates(counts), "rating": None} for code, counts in items.items()]
        rows.sort(key=lambda row: (-row["received"], row["key"]))
    elif len(under) > STAFF_UNITS_MAX:
        # A province's thousands of clerks are no table to read: choose a unit below first.
        rows, staff_too_many = [], True
    else:
        staff = store.case_sums(STAFF, under, days, whole)
        staff_ratings = store.rating_sums(STAFF, under, *months)
        rows = [
            {
                "key": key,
                **rates(staff.get(key, {})),
                "rating": rating_rates(staff_ratings.get(key, {})),
            }
            for key in set(staff) | set(staff_ratings)
        ]
        rows.sort(key=lambda row: (-row["completed"], row["key"]))
    if period.by_month and whole is not None:
        # Whole months from the monthly figures, the odd days at the ends summed into theirs.
        trend_counts = store.case_trend(unit, days, whole, TREND_METRICS)
    elif period.by_month:
        trend_counts = _into_months(store.case_trend(unit, days, None, TREND_METRICS))
    else:
        trend_counts = store.case_trend(unit, [period.bounds()], None, TREND_METRICS)
    steps = _steps(period)
    trend = (
        steps,
        {m: [trend_counts.get(s, {}).get(m, 0) for s in steps] for m in TREND_METRICS},
    )
    total = len(rows)
    return Dashboard(
        unit, period, by, totals, rating, rows[:ROW_LIMIT], trend, child_rows, total,
        staff_too_many,
    )  # fmt: skip
