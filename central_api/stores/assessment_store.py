"""SQL of the assessment at central: one month's figure sums per unit or staff member, the reading
interface ``sync.assessment.MonthFigures`` over what central keeps.

- the 好差评 figures (``rating_figures``, per month): always;
- the casework figures (``case_figures``, per day, ``sync.case_figures``): summed over the month's
  days when that table exists; until it does, its metrics are absent and the indicators that need
  them show "not counted" (the pages say so);
- the supervision records: cards issued in the month and not revoked (``red_cards``,
  ``yellow_cards``), and 差评 tasks opened in the month answered after their due day or still open
  past it (``rectifications_late``).

Every sum is over kept rows of one month, never over the case log.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection, and_, column, func, inspect, or_, select, table

from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from sync import case_figures, rating_figures
from sync.assessment import STAFF, UNIT
from sync.assessment_scheme import DEFAULT_SCHEME, AssessmentScheme, parse_scheme
from sync.events import business_date
from sync.feed import ASSESSMENT_SCHEME, EVERYONE
from sync.signing import Envelope

_F = t.rating_figures.c
_T = t.rectification_tasks.c
_K = t.cards.c
CASE_FIGURES = "case_figures"
# The casework figures' table, kept by the statistics work (not in this schema module yet).
_C = table(
    CASE_FIGURES, column("dimension"), column("key"), column("day"), column("metric"),
    column("value"),
).c  # fmt: skip


def published_schemes(c: Connection) -> list[AssessmentScheme]:
    """Return every assessment scheme central published, oldest first (central's own signed feed
    entries are the record of what it published)."""
    f = t.feed.c
    query = (
        select(f.envelope).where(f.scope == EVERYONE, f.kind == ASSESSMENT_SCHEME).order_by(f.seq)
    )
    return [
        parse_scheme(orjson.loads(Envelope.from_json(bytes(envelope)).payload)["body"])
        for (envelope,) in c.execute(query)
    ]


def scheme_in_force(store: CentralStore) -> AssessmentScheme:
    """Return the scheme published last, or the default one while none is."""
    f = t.feed.c
    query = (
        select(f.envelope)
        .where(f.scope == EVERYONE, f.kind == ASSESSMENT_SCHEME)
        .order_by(f.seq.desc())
        .limit(1)
    )
    with store.reading() as c:
        envelope = c.execute(query).scalar()
    if envelope is None:
        return DEFAULT_SCHEME
    return parse_scheme(orjson.loads(Envelope.from_json(bytes(envelope)).payload)["body"])


def month_days(month: str) -> tuple[str, str]:
    """Return the first and last day of a month "YYYY-MM"."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{month}-01", f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def _unit_of(dimension: str, key: str) -> str:
    return key.split("/", 1)[0] if dimension == STAFF else key


class AssessmentFigures:
    """Central's month sums for the assessment (``sync.assessment.MonthFigures``)."""

    def __init__(self, store: CentralStore, today: date) -> None:
        self.store = store
        self.today = today

    def counts_casework(self) -> bool:
        """Tell whether the casework figures are kept here yet (the ``case_figures`` table)."""
        with self.store.reading() as c:
            return inspect(c).has_table(CASE_FIGURES)

    def sums(
        self, dimension: str, month: str, units: Iterable[str] | None
    ) -> dict[str, dict[str, int]]:
        """Return each key's sums by metric for the month, of the keys whose unit is in ``units``
        (None: every unit); a metric not counted here is absent."""
        scope = None if units is None else frozenset(units)
        first, last = month_days(month)
        found: dict[str, dict[str, int]] = defaultdict(dict)

        def add(key: str, metric: str, value: int) -> None:
            if key and (scope is None or _unit_of(dimension, key) in scope):
                found[key][metric] = found[key].get(metric, 0) + int(value)

        with self.store.reading() as c:
            query = (
                select(_F.key, _F.metric, func.sum(_F.value))
                .where(
                    _F.dimension == dimension, _F.month == month, *_narrow(_F.key, dimension, scope)
                )
                .group_by(_F.key, _F.metric)
            )
            for key, metric, value in c.execute(query):
                add(key, metric, value)
            casework = inspect(c).has_table(CASE_FIGURES)
            if casework:
                query = (
                    select(_C.key, _C.metric, func.sum(_C.value))
                    .where(
                        _C.dimension == dimension, _C.day >= first, _C.day <= last,
                        *_narrow(_C.key, dimension, scope),
                    )
                    .group_by(_C.key, _C.metric)
                )  # fmt: skip
                for key, metric, value in c.execute(query):
                    if metric != "completed":  # the same count as rating_figures' (both kept)
                        add(key, metric, value)
            self._supervision(c, dimension, month, first, last, add)
        metrics = rating_figures.METRICS + ("red_cards", "yellow_cards", "rectifications_late")
        if casework:
            metrics += case_figures.METRICS
        return {key: {**dict.fromkeys(metrics, 0), **sums} for key, sums in found.items()}

    def _supervision(
        self, c: Any, dimension: str, month: str, first: str, last: str, add: Any
    ) -> None:
        column = _T.unit if dimension == UNIT else _T.staff
        late = or_(
            and_(_T.answered_on.is_(None), _T.due_on < self.today.isoformat()),
            _T.answered_on > _T.due_on,
        )
        query = (
            select(column, func.count())
            .where(_T.opened_on >= first, _T.opened_on <= last, late)
            .group_by(column)
        )
        for key, count in c.execute(query):
            add(key, "rectifications_late", count)
        # Cards are stamped in UTC: a day either side, then the China business date decides.
        query = select(_K.unit, _K.person, _K.colour, _K.issued_at).where(
            _K.state != "revoked",
            _K.issued_at >= _before(first),
            _K.issued_at <= last + "T23:59:59Z",
        )
        for unit, person, colour, issued_at in c.execute(query):
            if business_date(issued_at).isoformat()[:7] != month:
                continue
            key = unit if dimension == UNIT else rating_figures.staff_key(unit, person)
            add(key, f"{colour}_cards", 1)


def _narrow(key: Any, dimension: str, scope: frozenset[str] | None) -> list[Any]:
    """Return the conditions that let the database leave out most keys outside the scope (a unit
    page asks for one unit's staff); ``add`` still checks every key, so a wide scope reads all."""
    if scope is None:
        return []
    if dimension == UNIT and len(scope) <= 5000:
        return [key.in_(sorted(scope))]
    if dimension == STAFF and len(scope) <= 20:
        # Unit codes are digits: nothing in them is a LIKE wildcard.
        return [or_(*(key.like(f"{unit}/%") for unit in sorted(scope)))]
    return []


def _before(day: str) -> str:
    return date.fromordinal(date.fromisoformat(day).toordinal() - 1).isoformat()
