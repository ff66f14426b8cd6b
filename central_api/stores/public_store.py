"""SQL of what central shows and sends to residents: the progress page's reads, the notifications.

The notifications outbox is written inside the transactions of ingest and decisions (one executemany
per batch, a duplicate stage ignored by its unique key) and worked off by the delivery loop, which
claims a row by moving its next attempt time forward (compare-and-set), so several loops never send
the same row at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from central_api.review import notifications as nt
from central_api.stores import schema as t
from central_api.stores.log_store import _state, chunked
from central_api.stores.store import CentralStore
from sync.deadlines import YearCalendar
from sync.fold import CaseState

_N = t.notifications.c


def add_notifications(c: Connection, rows: list[Mapping[str, Any]]) -> None:
    """Enqueue notifications in the caller's transaction; a stage already queued is ignored.

    A row's ``link_token`` (``notifications.rows_for``) goes to ``rating_links``, in the same
    transaction: the link in the text always leads somewhere. A stage queued before keeps its own
    text, and the new token is then one more way to the same case."""
    if not rows:
        return
    links = [
        {"token": row["link_token"], "case_id": row["case_id"], "created_at": row["created_at"]}
        for row in rows
        if row.get("link_token")
    ]
    if links:
        c.execute(insert(t.rating_links), links)
    names = [name for name in rows[0] if name != "link_token"]
    mark = "?" if c.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO notifications ({', '.join(names)}) "
        f"VALUES ({', '.join([mark] * len(names))}) ON CONFLICT DO NOTHING"
    )
    c.exec_driver_sql(statement, [tuple(row[name] for name in names) for row in rows])


def release_ready(store: CentralStore, org_code: str, after: int, at: str) -> int:
    """Let the held "ready" notices go whose decision a device of the unit has read from the feed."""
    due = (
        (_N.org_code == org_code)
        & (_N.status == nt.HELD)
        & (_N.feed_seq.is_not(None))
        & (_N.feed_seq <= after)
    )
    with store.reading() as c:  # nearly always nothing held: no write transaction for that
        if c.execute(select(_N.id).where(due).limit(1)).first() is None:
            return 0
    # Harmless if lost on a power cut: the next feed read releases the rows again.
    with store.light_transaction() as c:
        result = c.execute(
            update(t.notifications).where(due).values(status=nt.PENDING, next_attempt_at=at)
        )
        return int(result.rowcount or 0)


def due_notifications(c: Connection, now: str, limit: int) -> list[dict[str, Any]]:
    """Return pending notifications whose next attempt has come, oldest first."""
    query = (
        select(t.notifications)
        .where(_N.status == nt.PENDING, _N.next_attempt_at <= now)
        .order_by(_N.next_attempt_at, _N.id)
        .limit(limit)
    )
    return [dict(r) for r in c.execute(query).mappings()]


def claim_notification(c: Connection, row: Mapping[str, Any], lease_until: str) -> bool:
    """Take a notification for one attempt; False if another loop took it first."""
    result = c.execute(
        update(t.notifications)
        .where(
            _N.id == row["id"],
            _N.status == nt.PENDING,
            _N.next_attempt_at == row["next_attempt_at"],
        )
        .values(attempts=_N.attempts + 1, next_attempt_at=lease_until)
    )
    return result.rowcount == 1


def finish_notification(c: Connection, notification_id: int, **values: Any) -> None:
    """Record the outcome of an attempt (sent, next attempt, or failed) with its error text."""
    c.execute(update(t.notifications).where(_N.id == notification_id).values(**values))


def notifications(
    c: Connection, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Return notifications, newest first, optionally of one status."""
    query = select(t.notifications).order_by(_N.id.desc()).limit(limit)
    if status:
        query = query.where(_N.status == status)
    return [dict(r) for r in c.execute(query).mappings()]


def notification_counts(c: Connection) -> dict[str, int]:
    """Count notifications by status."""
    query = select(_N.status, func.count()).group_by(_N.status)
    return {str(r[0]): int(r[1]) for r in c.execute(query)}


def case_by_number(c: Connection, case_number: str) -> CaseState | None:
    """Return a case by its readable number, without locking it."""
    if "\x00" in case_number:  # no number holds one; PostgreSQL refuses it in a text parameter
        return None
    query = select(t.cases.c.state_json).where(t.cases.c.case_number == case_number)
    row = c.execute(query).first()
    return _state(row[0]) if row else None


def case_by_rating_link(c: Connection, token: str) -> CaseState | None:
    """Return the case a rating link's token stands for, or None for an unknown token."""
    if not token or len(token) > 16 or "\x00" in token:
        return None
    query = (
        select(t.cases.c.state_json)
        .join(t.rating_links, t.rating_links.c.case_id == t.cases.c.case_id)
        .where(t.rating_links.c.token == token)
    )
    row = c.execute(query).first()
    return _state(row[0]) if row else None


def applied_events(c: Connection, case_id: str) -> list[dict[str, Any]]:
    """Return the applied events of a case in log order: type, time and payload."""
    e = t.events.c
    query = (
        select(e.type, e.at, e.payload)
        .where(e.case_id == case_id, e.status == "applied")
        .order_by(e.seq)
    )
    return [{"type": r[0], "at": r[1], "payload": json.loads(r[2])} for r in c.execute(query)]


def unit_names(c: Connection, codes: Iterable[str]) -> dict[str, str]:
    """Return the names of these org units."""
    found: dict[str, str] = {}
    for chunk in chunked(sorted(set(codes))):
        query = select(t.org_units.c.code, t.org_units.c.name).where(t.org_units.c.code.in_(chunk))
        found.update({r[0]: r[1] for r in c.execute(query)})
    return found


def calendar_overrides(c: Connection) -> list[YearCalendar]:
    """Return the newest published working-day calendar of every year."""
    cv = t.calendar_versions.c
    newest: dict[int, YearCalendar] = {}
    for row in c.execute(select(cv.year, cv.version, cv.body).order_by(cv.year, cv.version)):
        newest[int(row[0])] = YearCalendar.from_dict(json.loads(row[2]))
    return list(newest.values())
