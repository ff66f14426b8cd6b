"""The SQL of central's log-in guard: counters of failed log-ins, each user's last log-in address
and the sessions alive. Every method runs inside the caller's transaction (``store.transaction()``)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from central_api.stores import schema as t
from staff_pages.lockout import Guard, counter_keys, guard_of, stored

_g = t.login_guard.c


def _key(kind: str, address: str, username: str) -> object:
    return (_g.kind == kind) & (_g.address == address) & (_g.username == username)


def guard(c: Connection, address: str, username: str, last_login_addr: str | None) -> Guard:
    """Return the counters of an attempt to log in as ``username`` from ``address``."""
    if c.dialect.name == "postgresql":
        # Workers in other processes count the same name: one at a time, or a burst of parallel
        # guesses would each read the same count and get past the lock.
        c.execute(select(func.pg_advisory_xact_lock(func.hashtext("login:" + username))))
    rows = {}
    for kind, (addr, name) in counter_keys(address, username).items():
        query = select(_g.failures, _g.locked_until).where(_key(kind, addr, name))
        found = c.execute(query).first()
        if found:
            rows[kind] = (int(found[0]), found[1])
    return guard_of(rows, trusted=bool(address) and address == last_login_addr)


def save_guard(c: Connection, address: str, username: str, counted: Guard) -> None:
    """Store the counters of an attempt."""
    counters = {"here": counted.here, "everywhere": counted.everywhere, "address": counted.address}
    dialect = postgresql if c.dialect.name == "postgresql" else sqlite
    for kind, (addr, name) in counter_keys(address, username).items():
        failures, locked_until = stored(counters[kind])
        insert = dialect.insert(t.login_guard).values(
            kind=kind, address=addr, username=name, failures=failures, locked_until=locked_until
        )
        c.execute(
            insert.on_conflict_do_update(
                index_elements=[_g.kind, _g.address, _g.username],
                set_={"failures": failures, "locked_until": locked_until},
            )
        )


def forget_failures(c: Connection, address: str, username: str) -> None:
    """Drop the counters a successful log-in clears."""
    for kind, (addr, name) in counter_keys(address, username).items():
        c.execute(delete(t.login_guard).where(_key(kind, addr, name)))


def unlock(c: Connection, username: str) -> None:
    """Drop every counter and lock of a name, and the address locks its failures took part in."""
    failed_here = select(_g.address).where((_g.kind == "here") & (_g.username == username))
    c.execute(delete(t.login_guard).where((_g.kind == "address") & _g.address.in_(failed_here)))
    c.execute(delete(t.login_guard).where(_g.username == username))


def newest_lock(c: Connection, username: str, now: str) -> str | None:
    """Return the end of the newest lock of a name still running at ``now``, if any."""
    query = select(func.max(_g.locked_until)).where(
        (_g.username == username) & (_g.kind != "address") & (_g.locked_until > now)
    )
    return c.execute(query).scalar()


def show_on_account(c: Connection, user_id: int, failures: int, locked_until: str | None) -> None:
    """Show a user's failures in a row and newest lock on the admin's users page."""
    c.execute(
        update(t.users)
        .where(t.users.c.id == user_id)
        .values(failed_logins=failures, locked_until=locked_until)
    )


def record_login(c: Connection, user_id: int, address: str) -> None:
    """Remember the address of a user's successful log-in."""
    c.execute(update(t.users).where(t.users.c.id == user_id).values(last_login_addr=address[:64]))


def add_session(c: Connection, session_id: str, user_id: int, at: str) -> None:
    """Record a session begun at log-in."""
    c.execute(
        insert(t.staff_sessions).values(session_id=session_id, user_id=user_id, started_at=at)
    )


def session_alive(c: Connection, session_id: str, user_id: int) -> bool:
    """Tell whether a session of a user was begun here and not ended."""
    s = t.staff_sessions.c
    query = select(s.session_id).where((s.session_id == session_id) & (s.user_id == user_id))
    return c.execute(query).first() is not None


def end_session(c: Connection, session_id: str) -> None:
    """End one session (log-out)."""
    c.execute(delete(t.staff_sessions).where(t.staff_sessions.c.session_id == session_id))


def forget_sessions_before(c: Connection, at: str) -> None:
    """Drop sessions begun before ``at`` (past the longest a session may last)."""
    c.execute(delete(t.staff_sessions).where(t.staff_sessions.c.started_at < at))


def set_password(c: Connection, user_id: int, password_hash: str) -> None:
    """Store a user's new password hash (a rehash at log-in)."""
    c.execute(update(t.users).where(t.users.c.id == user_id).values(password_hash=password_hash))
