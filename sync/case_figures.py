"""The figures of the casework itself (电子监察 statistics), per unit, item and staff member, per day,
kept incrementally in the same way as the 好差评 figures (``sync.rating_figures``).

Every figure is a count (or a sum of working days), and every count is a sum over cases of what one
case contributes (``contributions``). A store keeps the sums in a table and adds each case's
``change`` in the transaction that writes the case's projection; a recount gives the same table.
Days, not months, are kept so that any period (day, week, month, quarter, year, any range) is a
sum of rows. What depends on today (cases overdue now) is not here: the open cases and the
warnings (``sync.supervision_rules``) say it.

The metrics, each counted on the day its event happened (China business date):

- ``received`` (收件): a case registered, under the staff member who registered it;
- ``accepted`` (受理), ``refused`` (不予受理), ``withdrawn`` (撤回): under who took the decision;
- ``completed`` (办结), and of those ``completed_immediate`` (即办件), ``completed_on_time``
  (by the promised day, pauses for supplements excluded), ``completed_late``, and
  ``days_used`` (the sum of working days from acceptance to completion, pauses excluded; its mean
  is ``days_used / completed_timed``, ``completed_timed`` counting the cases whose days are known);
- ``supplemented`` (补正): a case that had at least one supplement request, on its completion day
  (so the supplement rate is supplemented / completed);
- ``complaints`` (投诉) and ``reexaminations`` (复核申请): each petition, on its day;
  ``petitions_answered``: each one answered, on the answer's day;
- ``green_channel`` (绿色通道): a case put in the green channel, on the day of the grant under the
  reviewer who approved it (a case flagged at registration, as before the grant event existed:
  on its registration day under who registered it).

Units: the case's own unit (the township) for all; staff keys are "unit/user name"
(``sync.rating_figures.staff_key``), and so are the unit's items (``UNIT_ITEM``, "unit/item code"):
an item's figures within a county are the sums of its townships' rows, so that a county's
dashboard never adds another county's cases (the plain ``ITEM`` rows sum every unit).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sync.case_clock import case_pauses
from sync.case_state import COMPLETED, CaseState
from sync.clock_rules import limit_days
from sync.deadlines import (
    WorkingCalendar,
    add_working_days,
    paused_working_days,
    working_days_between,
)
from sync.errors import CalendarUnknown
from sync.events import business_date
from sync.rating_figures import ITEM, STAFF, UNIT, staff_key

UNIT_ITEM = "unit_item"
# Central also keeps every figure of a unit summed up the org tree (``with_tree``): TREE keyed by
# each unit above a case and the case's own unit, TREE_ITEM by "unit/item" for each unit above
# the case's own (whose items UNIT_ITEM already holds). A province's page then reads its own row
# and its cities' rows, not the rows of 1,800 townships.
TREE, TREE_ITEM = "tree", "tree_item"
DIMENSIONS = (UNIT, ITEM, STAFF, UNIT_ITEM)
TREE_DIMENSIONS = (TREE, TREE_ITEM)

# A unit's code → the unit and every unit above it, nearest first; () for a unit not in the tree.
Lineage = Callable[[str], tuple[str, ...]]

METRICS = (
    "received",
    "accepted",
    "refused",
    "withdrawn",
    "completed",
    "completed_immediate",
    "completed_on_time",
    "completed_late",
    "completed_timed",
    "days_used",
    "supplemented",
    "complaints",
    "reexaminations",
    "petitions_answered",
    "green_channel",
)

# (dimension, key, day "YYYY-MM-DD", metric)
CaseFigureKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class CaseFigureRules:
    """What the figures need beyond the case: the working days a completed promised case used
    (acceptance to completion, pauses excluded) and its promised day, each None where the
    working calendar of a year involved is not known."""

    days_used: Callable[[CaseState], int | None]
    due: Callable[[CaseState], date | None]


def calendar_rules(calendar: WorkingCalendar) -> CaseFigureRules:
    """Return the rules on a working calendar: a day in a year it does not know gives None."""

    def due(state: CaseState) -> date | None:
        accepted = date.fromisoformat(str(state.accepted_on))
        done = date.fromisoformat(str(state.completed_on))
        try:
            paused = paused_working_days(case_pauses(state), done, calendar)
            # The promised days with the approved extensions (延期): an extended case is on time
            # until its extended date.
            return add_working_days(accepted, limit_days(state) + paused, calendar)
        except CalendarUnknown:
            return None

    def days_used(state: CaseState) -> int | None:
        accepted = date.fromisoformat(str(state.accepted_on))
        done = date.fromisoformat(str(state.completed_on))
        try:
            elapsed = working_days_between(accepted, done, calendar)
            return max(0, elapsed - paused_working_days(case_pauses(state), done, calendar))
        except CalendarUnknown:
            return None

    return CaseFigureRules(days_used=days_used, due=due)


def contributions(state: CaseState, rules: CaseFigureRules) -> Counter[CaseFigureKey]:
    """Return what one case adds to each figure."""
    counts: Counter[CaseFigureKey] = Counter()
    item = str(state.item.get("code", ""))
    unit = state.org_code
    unit_item = f"{unit}/{item}" if item else ""

    def add(actor: str | None, day: str, metric: str, amount: int = 1) -> None:
        for dimension, key in (
            (UNIT, unit),
            (ITEM, item),
            (STAFF, staff_key(unit, actor)),
            (UNIT_ITEM, unit_item),
        ):
            if key:
                counts[(dimension, key, day, metric)] += amount

    add(state.registered_by, business_date(state.registered_at).isoformat(), "received")
    if state.accepted_on:
        add(state.accepted_by, state.accepted_on, "accepted")
    if state.refused_on:
        add(state.accepted_by, state.refused_on, "refused")
    if state.withdrawn_on:
        add(None, state.withdrawn_on, "withdrawn")
    if state.state == COMPLETED and state.completed_on:
        day, actor = state.completed_on, state.completed_by
        add(actor, day, "completed")
        if state.supplements:
            add(actor, day, "supplemented")
        if state.item.get("kind") == "immediate":
            add(actor, day, "completed_immediate")
        elif state.accepted_on:
            due = rules.due(state)
            if due is not None:
                on_time = date.fromisoformat(day) <= due
                add(actor, day, "completed_on_time" if on_time else "completed_late")
            used = rules.days_used(state)
            if used is not None:
                add(actor, day, "completed_timed")
                if used:
                    add(actor, day, "days_used", used)
    if state.green_channel:
        green = state.green
        if green:
            add(green["by"], green["on"], "green_channel")
        else:
            add(
                state.registered_by, business_date(state.registered_at).isoformat(), "green_channel"
            )
    for petition in state.petitions:
        kind = "complaints" if petition["kind"] == "complaint" else "reexaminations"
        add(None, business_date(petition["at"]).isoformat(), kind)
        answer = petition.get("answer")
        if answer:
            add(None, business_date(answer["at"]).isoformat(), "petitions_answered")
    return counts


def change(
    before: CaseState | None, after: CaseState, rules: CaseFigureRules
) -> dict[CaseFigureKey, int]:
    """Return what to add to the figures when a case goes from ``before`` (None: new) to
    ``after``: only the counts that differ, negative where the case contributes less."""
    now = contributions(after, rules)
    if before is not None:
        now.subtract(contributions(before, rules))
    return {key: value for key, value in now.items() if value}


def with_tree(counts: Mapping[CaseFigureKey, int], lineage: Lineage) -> Counter[CaseFigureKey]:
    """Return the figures with their sums up the org tree added (``TREE`` and ``TREE_ITEM``):
    what each unit's row adds to itself and every unit above it."""
    total: Counter[CaseFigureKey] = Counter(counts)
    for (dimension, key, day, metric), value in counts.items():
        if dimension == UNIT:
            for above in lineage(key):
                total[(TREE, above, day, metric)] += value
        elif dimension == UNIT_ITEM:
            unit, _, item = key.partition("/")
            for above in lineage(unit)[1:]:
                total[(TREE_ITEM, f"{above}/{item}", day, metric)] += value
    return total


def lineage_of(parents: Mapping[str, str | None]) -> Lineage:
    """Return the lineage function of an org tree given as code → parent code."""

    def lineage(code: str) -> tuple[str, ...]:
        if code not in parents:
            return ()
        found = [code]
        while (parent := parents.get(found[-1])) and parent not in found:
            found.append(parent)
        return tuple(found)

    return lineage


def recount(states: Iterable[CaseState], rules: CaseFigureRules) -> Counter[CaseFigureKey]:
    """Return every figure counted afresh from the cases (the check of the kept ones)."""
    total: Counter[CaseFigureKey] = Counter()
    for state in states:
        total.update(contributions(state, rules))
    return total


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def rates(counts: Mapping[str, int], open_overdue: int = 0) -> dict[str, Any]:
    """Return the figures a page shows from one row of summed counts (metric → count) and the
    number of the row's open cases overdue today: each rate None when it has no base.

    - on-time rate: completed on time / (on time + late), the promised cases whose due day is known;
    - average working days: days_used / completed_timed;
    - 即办件 share: completed immediate / completed;
    - supplement rate: completed with a supplement request / completed;
    - refusal rate: refused / (accepted + refused), the decisions taken at the window.
    """
    get = counts.get
    judged = get("completed_on_time", 0) + get("completed_late", 0)
    decided = get("accepted", 0) + get("refused", 0)
    timed = get("completed_timed", 0)
    return {
        **{metric: get(metric, 0) for metric in METRICS},
        "open_overdue": open_overdue,
        "on_time_rate": _share(get("completed_on_time", 0), judged),
        "average_days": get("days_used", 0) / timed if timed else None,
        "immediate_share": _share(get("completed_immediate", 0), get("completed", 0)),
        "supplement_rate": _share(get("supplemented", 0), get("completed", 0)),
        "refusal_rate": _share(get("refused", 0), decided),
        "petitions": get("complaints", 0) + get("reexaminations", 0),
    }
