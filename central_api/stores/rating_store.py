"""SQL of the 好差评 pages at central: the 差评 task list, the callback queue and its
claims, the kept figures. Nothing here reads a case's state_json except the one case a caller
opens: the lists read the rows kept beside the projections (``figure_store``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update

from central_api.stores import schema as t
from central_api.stores.log_store import chunked
from central_api.stores.review_store import ReviewStore
from central_api.stores.store import CentralStore
from sync.events import format_time
from sync.rating_figures import ITEM, STAFF, UNIT
from sync.rating_scale import BUILT_IN, DEFAULT_SCALE

_T = t.rectification_tasks.c
_K = t.callback_candidates.c
_C = t.callback_claims.c
_F = t.rating_figures.c


@dataclass(frozen=True)
class TaskFilter:
    """The 差评 list's filters, as the form sends them (already checked)."""

    stage: str = ""
    unit: str = ""
    overdue: bool = False
    month: str = ""  # YYYY-MM: the month the task opened


def _overdue(today: date) -> Any:
    day = today.isoformat()
    return or_(
        and_(_T.answered_on.is_(None), _T.due_on < day),
        _T.answered_on > _T.due_on,
    )


class RatingStore:
    """The supervisors' SQL over one central database."""

    def __init__(self, store: CentralStore) -> None:
        self.store = store

    # The 差评 list

    def _tasks(self, query: Any, units: frozenset[str], where: TaskFilter, today: date) -> Any:
        query = query.where(_T.unit.in_(sorted(units)))
        if where.unit:
            query = query.where(_T.unit == where.unit)
        if where.overdue:
            query = query.where(_overdue(today))
        if where.month:
            query = query.where(
                _T.opened_on >= where.month + "-01", _T.opened_on <= where.month + "-31"
            )
        return query

    def task_rows(
        self, units: frozenset[str], where: TaskFilter, today: date, *, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """Return the tasks of these units that match, the soonest due first."""
        query = self._tasks(select(t.rectification_tasks), units, where, today)
        if where.stage:
            query = query.where(_T.stage == where.stage)
        query = query.order_by(_T.stage == "closed", _T.due_on, _T.case_number, _T.rating_id)
        with self.store.reading() as c:
            rows = [dict(r) for r in c.execute(query.limit(limit).offset(offset)).mappings()]
        for row in rows:
            done = row["answered_on"]
            row["overdue"] = (done > row["due_on"]) if done else today.isoformat() > row["due_on"]
        return rows

    def stage_counts(self, units: frozenset[str], where: TaskFilter, today: date) -> dict[str, int]:
        """Count the matching tasks at each stage (the stage filter aside)."""
        query = self._tasks(select(_T.stage, func.count()), units, where, today)
        with self.store.reading() as c:
            return {r[0]: int(r[1]) for r in c.execute(query.group_by(_T.stage))}

    def task_units(self, units: frozenset[str]) -> list[str]:
        """Return the units of these that have any 差评 task, for the filter menu."""
        query = select(_T.unit).distinct().where(_T.unit.in_(sorted(units))).order_by(_T.unit)
        with self.store.reading() as c:
            return [r[0] for r in c.execute(query)]

    def level_labels(self) -> dict[str, str]:
        """Return the label of every rating level of every scale known (published or built in)."""
        with self.store.reading() as c:
            scales = {**BUILT_IN, **self.store.rating_scales(c)}
        return {level.code: level.label for s in scales.values() for level in s.levels}

    def reason_labels(self) -> dict[str, str]:
        """Return the label of every published rating reason."""
        with self.store.reading() as c:
            scales = {**BUILT_IN, **self.store.rating_scales(c)}
        return {reason.code: reason.label for s in scales.values() for reason in s.reasons}

    def task_days(self, scale_version: str) -> int:
        """Return the working days a 差评 of this scale version has to be answered in."""
        with self.store.reading() as c:
            scale = self.store.rating_scales(c, [scale_version]).get(scale_version)
        return (scale or BUILT_IN["national-2019"]).rectification_days

    # The callback queue

    def callback_queue(self, units: frozenset[str], now: datetime, lapse: timedelta) -> list[dict]:
        """Return the calls to make for these units: 差评 tasks waiting for their callback, and the
        sampled completed cases nobody has reached yet; each with its live claim, if any."""
        with self.store.reading() as c:
            rows = []
            for chunk in chunked(sorted(units)):
                tasks = select(
                    _T.case_id, _T.case_number, _T.item_name, _T.unit, _T.attempts, _T.rating_id,
                    _T.opened_on.label("since"),
                ).where(_T.stage == "callback", _T.unit.in_(chunk))  # fmt: skip
                rows += [{**r, "purpose": "rectification"} for r in c.execute(tasks).mappings()]
                sample = select(
                    _K.case_id, _K.case_number, _K.item_name, _K.org_code.label("unit"),
                    _K.attempts, _K.completed_on.label("since"),
                ).where(_K.org_code.in_(chunk))  # fmt: skip
                rows += [
                    {**r, "purpose": "sample", "rating_id": ""}
                    for r in c.execute(sample).mappings()
                ]
            claims = self._claims(c, {r["case_id"] for r in rows}, now, lapse)
        for row in rows:
            row["claim"] = claims.get(row["case_id"])
        return sorted(rows, key=lambda r: (r["since"], r["case_number"]))

    def sample_percent(self) -> int:
        """Return the share of completed cases called back, from the newest published scale."""
        with self.store.reading() as c:
            newest = self.store.newest_rating_scale(c)
        return (newest or DEFAULT_SCALE).callback_sample_percent

    def _claims(
        self, c: Any, case_ids: Iterable[str], now: datetime, lapse: timedelta
    ) -> dict[str, dict[str, Any]]:
        live = format_time(now - lapse)
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunked(sorted(set(case_ids))):
            query = select(t.callback_claims).where(_C.case_id.in_(chunk), _C.claimed_at > live)
            found.update({r["case_id"]: dict(r) for r in c.execute(query).mappings()})
        return found

    def claim(
        self, case_id: str, user: dict[str, Any], now: datetime, lapse: timedelta
    ) -> dict[str, Any] | None:
        """Claim a callback for ``user`` unless someone else holds a live claim; return that
        other claim (nothing changed), or None when the user holds it now."""
        with self.store.transaction() as c:
            query = select(t.callback_claims).where(_C.case_id == case_id)
            row = c.execute(self.store._locked(query)).mappings().first()
            if row is not None and row["user_id"] != user["id"]:
                if row["claimed_at"] > format_time(now - lapse):
                    return dict(row)
            values = {"user_id": user["id"], "username": user["username"]}
            values["claimed_at"] = format_time(now)
            if row is None:
                c.execute(insert(t.callback_claims).values(case_id=case_id, **values))
            else:
                c.execute(update(t.callback_claims).where(_C.case_id == case_id).values(**values))
        return None

    def live_claim(self, case_id: str, now: datetime, lapse: timedelta) -> dict[str, Any] | None:
        """Return the live claim on a case's callback, if any."""
        with self.store.reading() as c:
            return self._claims(c, [case_id], now, lapse).get(case_id)

    def release(self, case_id: str, user_id: int) -> None:
        """Give up a user's claim on a case's callback (after the call is recorded)."""
        with self.store.transaction() as c:
            c.execute(delete(t.callback_claims).where(_C.case_id == case_id, _C.user_id == user_id))

    def reveal(self, username: str, case_number: str, now: datetime, remote_addr: str) -> None:
        """Record in the audit trail that a caller was shown a case's phone numbers."""
        with self.store.transaction() as c:
            ReviewStore(self.store).audit(
                c, format_time(now), username, "callback_phone", case_number, remote_addr
            )

    # The figures

    def figures(
        self, dimension: str, first: str, last: str, keys: frozenset[str] | None
    ) -> dict[str, dict[str, int]]:
        """Return the kept counts of one dimension over months ``first``..``last``, by key and
        metric; only the keys whose unit is among ``keys`` (None: every key)."""
        query = (
            select(_F.key, _F.metric, func.sum(_F.value))
            .where(_F.dimension == dimension, _F.month >= first, _F.month <= last)
            .group_by(_F.key, _F.metric)
        )
        found: dict[str, dict[str, int]] = defaultdict(dict)
        with self.store.reading() as c:
            for key, metric, value in c.execute(query):
                # An item's figures sum every unit's cases: the same for every supervisor.
                if keys is None or dimension == ITEM or _unit_of(dimension, key) in keys:
                    found[key][metric] = int(value)
        return dict(found)

    def open_overdue(self, dimension: str, first: str, last: str, today: date) -> dict[str, int]:
        """Count the tasks opened in the months that are still unanswered past their due day."""
        column = {UNIT: _T.unit, ITEM: _T.item_code, STAFF: _T.staff}[dimension]
        query = (
            select(column, func.count())
            .where(
                _T.answered_on.is_(None),
                _T.due_on < today.isoformat(),
                _T.opened_on >= first + "-01",
                _T.opened_on <= last + "-31",
            )
            .group_by(column)
        )
        with self.store.reading() as c:
            return {r[0]: int(r[1]) for r in c.execute(query)}

    def item_names(self, codes: Iterable[str]) -> dict[str, str]:
        """Return the names of these items as the cases carry them."""
        k = t.cases.c
        names: dict[str, str] = {}
        with self.store.reading() as c:
            for chunk in chunked(sorted(set(codes))):
                query = (
                    select(k.item_code, func.max(k.item_name))
                    .where(k.item_code.in_(chunk))
                    .group_by(k.item_code)
                )
                names.update({r[0]: r[1] for r in c.execute(query)})
        return names


def _unit_of(dimension: str, key: str) -> str:
    return key.split("/", 1)[0] if dimension == STAFF else key
