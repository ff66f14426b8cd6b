"""SQL of the reviewers' pages: users and their log-ins, the audit trail, the inbox, a case's record.

Reads run on their own connection (``store.reading()``); the few writes (failed log-ins, unlocks,
audit entries) take the store's write transaction. The SQL of ingest and decisions stays in
``store`` and ``log_store``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from central_api.stores import schema as t
from central_api.stores.log_store import chunked
from central_api.stores.store import CentralStore
from sync.deadlines import YearCalendar
from sync.fold import CaseState

_CASE_LIST_COLUMNS = (
    t.cases.c.case_id,
    t.cases.c.case_number,
    t.cases.c.org_code,
    t.cases.c.holder_code,
    t.cases.c.state,
    t.cases.c.item_code,
    t.cases.c.item_name,
    t.cases.c.applicant_name,
    t.cases.c.accepted_on,
    t.cases.c.updated_at,
    t.cases.c.open_petitions,
)


@dataclass(frozen=True)
class CaseScope:
    """Which cases a user may see: those their unit holds, or those of units under theirs."""

    holder_code: str | None = None
    org_codes: frozenset[str] | None = None


@dataclass(frozen=True)
class InboxFilter:
    """The inbox's filters and search, as the form sends them."""

    item_code: str = ""
    township: str = ""
    state: str = ""
    text: str = ""
    # The cases of a unit and every unit below it (the dashboard's drill-down to a county).
    within: frozenset[str] | None = None
    # The dashboard's drill-down: the cases a figure counts in a period ("YYYY-MM-DD" bounds), by
    # the day of its step (``COUNTED_STEPS``), and by the staff member who took it.
    counted: str = ""
    first: str = ""
    last: str = ""
    staff: str = ""


# A figure → (the projection's column of its day, of the staff member who took it).
COUNTED_STEPS = {
    "received": ("registered_on", "registered_by"),
    "accepted": ("accepted_on", "accepted_by"),
    "refused": ("refused_on", "accepted_by"),
    "completed": ("completed_on", "completed_by"),
}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ReviewStore:
    """The reviewers' SQL over one central database."""

    def __init__(self, store: CentralStore) -> None:
        self.store = store

    # Users and log-ins

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        """Return a central user by id."""
        with self.store.reading() as c:
            row = c.execute(select(t.users).where(t.users.c.id == user_id)).mappings().first()
        return dict(row) if row else None

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        """Return a central user by log-in name."""
        with self.store.reading() as c:
            return self.store.user_by_username(c, username)

    def users(self) -> list[dict[str, Any]]:
        """Return every central user, by unit and name."""
        with self.store.reading() as c:
            query = select(t.users).order_by(t.users.c.org_code, t.users.c.username)
            return [dict(r) for r in c.execute(query).mappings()]

    def set_login_failures(
        self, c: Connection, user_id: int, failures: int, locked_until: str | None
    ) -> None:
        """Record a user's failed log-ins in a row and the lock they caused, if any."""
        c.execute(
            update(t.users)
            .where(t.users.c.id == user_id)
            .values(failed_logins=failures, locked_until=locked_until)
        )

    def audit(
        self, c: Connection, at: str, username: str, action: str, detail: str, remote_addr: str
    ) -> None:
        """Add an entry to the audit trail (never personal data of applicants)."""
        c.execute(
            insert(t.audit_log).values(
                at=at,
                username=username[:32],
                action=action,
                detail=detail[:500],
                remote_addr=remote_addr[:64],
            )
        )

    def audit_entries(self, limit: int = 50) -> list[dict[str, Any]]:
        """Return the newest audit entries."""
        with self.store.reading() as c:
            query = select(t.audit_log).order_by(t.audit_log.c.id.desc()).limit(limit)
            return [dict(r) for r in c.execute(query).mappings()]

    # Org tree and calendar

    def subtree(self, code: str) -> frozenset[str]:
        """Return a unit's code and the codes of every unit below it."""
        children: dict[str, list[str]] = {}
        for unit in self.store.org_units():
            children.setdefault(unit["parent_code"] or "", []).append(unit["code"])
        found, waiting = set(), [code]
        while waiting:
            current = waiting.pop()
            if current not in found:
                found.add(current)
                waiting.extend(children.get(current, ()))
        return frozenset(found)

    def unit_names(self) -> dict[str, str]:
        """Return every unit's name by its code."""
        return {u["code"]: u["name"] for u in self.store.org_units()}

    def calendars(self) -> list[YearCalendar]:
        """Return every published year calendar (the newest version of a year wins when laid)."""
        with self.store.reading() as c:
            rows = c.execute(select(t.calendar_versions.c.body)).all()
        return [YearCalendar.from_dict(json.loads(r[0])) for r in rows]

    def calendar_arrivals(self) -> dict[int, str]:
        """Return when each year's calendar was first published (UTC), by year."""
        v = t.calendar_versions.c
        with self.store.reading() as c:
            rows = c.execute(select(v.year, func.min(v.published_at)).group_by(v.year)).all()
        return {int(r[0]): str(r[1]) for r in rows}

    # The inbox

    def _scoped(self, query: Any, scope: CaseScope, where: InboxFilter) -> Any:
        k = t.cases.c
        if scope.holder_code is not None:
            query = query.where(k.holder_code == scope.holder_code)
        if scope.org_codes is not None:
            query = query.where(k.org_code.in_(sorted(scope.org_codes)))
        if where.item_code:
            query = query.where(k.item_code == where.item_code)
        if where.township:
            query = query.where(k.org_code == where.township)
        if where.within is not None:
            query = query.where(k.org_code.in_(sorted(where.within)))
        if where.state:
            query = query.where(k.state == where.state)
        if where.counted in COUNTED_STEPS:
            day, by = COUNTED_STEPS[where.counted]
            query = query.where(k[day].is_not(None))
            if where.first and where.last:
                query = query.where(k[day] >= where.first, k[day] <= where.last)
            if where.staff:
                query = query.where(k[by] == where.staff)
        if where.text:
            pattern = _like(where.text)
            query = query.where(
                or_(
                    k.case_number.like(pattern, escape="\\"),
                    k.applicant_name.like(pattern, escape="\\"),
                )
            )
        return query

    def inbox_rows(
        self, scope: CaseScope, where: InboxFilter, *, limit: int | None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Return the cases in scope that match, open green-channel cases first, then the oldest
        acceptance first (most urgent first)."""
        k = t.cases.c
        query = self._scoped(select(*_CASE_LIST_COLUMNS, k.state_json), scope, where)
        # NULL acceptance dates last on both databases.
        query = query.order_by(
            k.priority.desc(), k.accepted_on.is_(None), k.accepted_on, k.case_number
        )
        if limit is not None:
            query = query.limit(limit).offset(offset)
        with self.store.reading() as c:
            rows = [dict(r) for r in c.execute(query).mappings()]
        for row in rows:
            row["state_obj"] = CaseState.from_dict(json.loads(row.pop("state_json")))
        return rows

    def inbox_count(self, scope: CaseScope, where: InboxFilter) -> int:
        """Count the cases in scope that match."""
        query = self._scoped(select(func.count()).select_from(t.cases), scope, where)
        with self.store.reading() as c:
            return int(c.execute(query).scalar_one())

    def inbox_choices(self, scope: CaseScope) -> dict[str, list[tuple[str, str]]]:
        """Return the items, townships and states present in scope, for the filter menus."""
        k = t.cases.c
        everything = InboxFilter()
        with self.store.reading() as c:
            items = c.execute(
                self._scoped(select(k.item_code, func.max(k.item_name)), scope, everything)
                .group_by(k.item_code)
                .order_by(k.item_code)
            ).all()
            townships = c.execute(
                self._scoped(select(k.org_code).distinct(), scope, everything).order_by(k.org_code)
            ).all()
            states = c.execute(
                self._scoped(select(k.state).distinct(), scope, everything).order_by(k.state)
            ).all()
        names = self.unit_names()
        return {
            "items": [(r[0], r[1]) for r in items],
            "townships": [(r[0], names.get(r[0], r[0])) for r in townships],
            "states": [(r[0], r[0]) for r in states],
        }

    def open_petitions(self, org_codes: Iterable[str]) -> list[CaseState]:
        """Return the cases of these units that have a petition still unanswered."""
        k = t.cases.c
        found: list[CaseState] = []
        with self.store.reading() as c:
            for chunk in chunked(sorted(set(org_codes))):
                query = (
                    select(k.state_json)
                    .where(k.open_petitions > 0, k.org_code.in_(chunk))
                    .order_by(k.updated_at)
                )
                found.extend(CaseState.from_dict(json.loads(r[0])) for r in c.execute(query))
        return found

    # One case

    def case(self, case_number: str) -> CaseState | None:
        """Return a case's folded state by its readable number (without locking it)."""
        with self.store.reading() as c:
            query = select(t.cases.c.state_json).where(t.cases.c.case_number == case_number)
            row = c.execute(query).first()
        return CaseState.from_dict(json.loads(row[0])) if row else None

    def writers(self, writer_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return the devices among these writers (device code and unit), by device id."""
        d = t.devices.c
        found: dict[str, dict[str, Any]] = {}
        with self.store.reading() as c:
            for chunk in chunked(sorted(set(writer_ids))):
                query = select(d.device_id, d.device_code, d.org_code, d.label).where(
                    d.device_id.in_(chunk)
                )
                found.update({r["device_id"]: dict(r) for r in c.execute(query).mappings()})
        return found

    def case_bundles(self, case_id: str) -> list[dict[str, Any]]:
        """Return the stored bundles that carried a case's events, with their envelope bytes."""
        e, b = t.events.c, t.bundles.c
        with self.store.reading() as c:
            hashes = [
                r[0]
                for r in c.execute(
                    select(e.bundle_hash)
                    .distinct()
                    .where(e.case_id == case_id, e.bundle_hash.is_not(None))
                )
            ]
            if not hashes:
                return []
            query = (
                select(b.bundle_hash, b.device_id, b.sequence, b.envelope)
                .where(b.bundle_hash.in_(hashes))
                .order_by(b.device_id, b.sequence)
            )
            return [dict(r) for r in c.execute(query).mappings()]

    def device_keys(self, device_ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
        """Return every key these devices ever had, by key id."""
        k = t.device_keys.c
        ids = sorted(set(device_ids))
        if not ids:
            return {}
        with self.store.reading() as c:
            query = select(t.device_keys).where(k.device_id.in_(ids))
            return {r["key_id"]: dict(r) for r in c.execute(query).mappings()}

    def blob(self, sha256: str) -> dict[str, Any] | None:
        """Return a blob's upload record."""
        with self.store.reading() as c:
            return self.store.blob(c, sha256)
