"""SQL of the central server's devices, keys, users, org tree, uploads and alerts (SQLAlchemy Core).

Workers are stateless: everything lives in the database (and the blob files, on storage shared by
every worker). The rules that must hold under concurrency (one bundle per device sequence, one event
per writer sequence, a nonce used once) are unique constraints, checked while the rows they guard
are locked for the transaction. The SQL of the case log and the feed is in ``log_store``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from central_api.migrate import upgrade
from central_api.stores import schema as t
from central_api.stores.case_figure_store import rebuild_tree_figures
from central_api.stores.figure_store import KeptFigures
from central_api.stores.log_store import LogStore, chunked, where_in
from central_api.stores.store_engine import READING, Checkpointer, make_engine
from sync.rating_scale import RatingScale

# The device of a signed request and the key it names, if that key is the device's own.
_DEVICE_AND_KEY = (
    select(t.devices, *[column.label("key_" + column.name) for column in t.device_keys.c])
    .outerjoin(
        t.device_keys,
        (t.device_keys.c.key_id == bindparam("key_id"))
        & (t.device_keys.c.device_id == t.devices.c.device_id),
    )
    .where(t.devices.c.device_id == bindparam("device_id"))
)


@functools.cache
def _device_update(names: tuple[str, ...]) -> Any:
    """Return the UPDATE of these columns of a device, built once: ingest runs it per batch, and
    building it again cost SQLAlchemy more than running it."""
    return (
        update(t.devices)
        .where(t.devices.c.device_id == bindparam("b_device_id"))
        .values({name: bindparam(name) for name in names})
    )


# The columns of the rows that ingest reads with ``where_in``, named (``dict(row._mapping)``).
# The first is the key.
_DEVICE_COLUMNS = ", ".join(t.devices.c.keys())
_KEY_COLUMNS = ", ".join(t.device_keys.c.keys())


class CentralStore(LogStore, KeptFigures):
    """The central database."""

    def __init__(self, engine: Engine, *, public_base_url: str = "") -> None:
        self.engine = engine
        # PUBLIC_BASE_URL: the address under which residents reach the public pages. The texts
        # written in an event's transaction (the completion SMS's rating link) need it there.
        self.public_base_url = public_base_url
        self._checkpointer = Checkpointer(engine) if engine.dialect.name == "sqlite" else None
        # SQLite has one writer at a time, and a writer that finds the lock taken sleeps in steps
        # of up to 100 ms before it tries again. The threads of one server therefore queue on a
        # lock of their own, which wakes the next one at once; other processes still wait on
        # SQLite's. PostgreSQL locks rows and needs none of this.
        self._writer = threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        # The items of each published catalogue version, read once (``LogStore.published_items``).
        self._published_items: dict[str, dict[str, dict[str, Any]]] = {}
        # The rating scales published, by version, read once (``LogStore.rating_scales``).
        self._rating_scales: dict[str, RatingScale] = {}
        # Built once: every signed request records its nonce (see ``inserted`` for the RETURNING).
        self._remember_nonce = (
            self.insert_ignore(t.nonces)
            .values(
                device_id=bindparam("device_id"),
                nonce=bindparam("nonce"),
                seen_at=bindparam("seen_at"),
            )
            .returning(literal_column("1"))
        )

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, public_base_url: str = "") -> CentralStore:
        """Open the database at ``url`` and bring its schema up to date."""
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        return cls(engine, public_base_url=public_base_url)

    def close(self) -> None:
        """Fold the write-ahead log into the database and release every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Run a block in one transaction, committed durably when the block ends."""
        with self._writer, self.engine.begin() as connection:
            yield connection
        if self._checkpointer is not None:
            self._checkpointer.wake()

    @contextmanager
    def light_transaction(self) -> Iterator[Connection]:
        """Run a block whose loss on a power cut is harmless, without waiting for the disk.

        For bookkeeping that a retry recreates (request nonces, a device's last-seen time, an
        announced upload): the commit is ordered but not flushed, and the next durable commit
        flushes it too (SQLite's WAL and PostgreSQL's WAL are both sequential).
        """
        with self._writer, self.engine.connect() as connection:
            if self.is_postgres:
                with connection.begin():
                    connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    yield connection
                return
            # On the driver's connection: SQLAlchemy would begin a transaction first, and SQLite
            # refuses to change the safety level inside one.
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA synchronous=NORMAL")
            try:
                with connection.begin():
                    yield connection
            finally:
                raw.execute("PRAGMA synchronous=FULL")

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """Run reads on one connection without taking the write lock."""
        with self.engine.connect() as connection:
            yield connection.execution_options(**{READING: True})

    @property
    def is_postgres(self) -> bool:
        """Tell whether the database is PostgreSQL."""
        return self.engine.dialect.name == "postgresql"

    def count(self, table: str) -> int:
        """Return the number of rows of a table (tests and benchmarks)."""
        with self.reading() as c:
            return c.execute(
                select(func.count()).select_from(t.metadata.tables[table])
            ).scalar_one()

    def counts(self) -> dict[str, int]:
        """Return the row count of every table (tests prove that a refusal changed nothing)."""
        return {name: self.count(name) for name in sorted(t.metadata.tables)}

    # Org tree and users

    def replace_org_units(self, c: Connection, units: Iterable[Mapping[str, Any]]) -> None:
        """Install the org tree."""
        c.execute(t.org_units.delete())
        rows = [
            {
                "code": u["code"],
                "name": u["name"],
                "level": u["level"],
                "parent_code": u.get("parent"),
            }
            for u in units
        ]
        if rows:
            c.execute(insert(t.org_units), rows)
        # A unit may have moved: its figures' sums up the tree follow it.
        rebuild_tree_figures(c)

    def org_unit(self, c: Connection, code: str) -> dict[str, Any] | None:
        """Return one org unit."""
        row = c.execute(select(t.org_units).where(t.org_units.c.code == code)).mappings().first()
        return dict(row) if row else None

    def org_unit_codes(self, c: Connection, codes: Iterable[str]) -> set[str]:
        """Return those of these division codes that are units of the org tree."""
        sql = "SELECT code FROM org_units WHERE code {values}"
        return {r[0] for r in where_in(c, sql, (code.strip() for code in codes))}

    def org_ancestors(
        self, c: Connection, codes: Iterable[str]
    ) -> dict[str, list[tuple[str, str]]]:
        """Return, for each of these units, the units above it, nearest first: [(code, level)]."""
        asked = set(codes)
        # One query climbs the whole tree; UNION (not UNION ALL) stops at a loop in a bad tree.
        sql = (
            "WITH RECURSIVE up(code, level, parent_code) AS ("
            " SELECT code, level, parent_code FROM org_units WHERE code {values}"
            " UNION SELECT o.code, o.level, o.parent_code FROM org_units o"
            " JOIN up ON o.code = up.parent_code)"
            " SELECT code, level, parent_code FROM up"
        )
        parents = {r[0]: (r[1], r[2]) for r in where_in(c, sql, asked)}
        result: dict[str, list[tuple[str, str]]] = {}
        for code in asked:
            chain: list[tuple[str, str]] = []
            seen = {code}
            parent = parents.get(code, ("", None))[1]
            while parent and parent in parents and parent not in seen:
                seen.add(parent)
                chain.append((parent, parents[parent][0]))
                parent = parents[parent][1]
            result[code] = chain
        return result

    def org_units(self) -> list[dict[str, Any]]:
        """Return the whole org tree."""
        with self.reading() as c:
            query = select(t.org_units).order_by(t.org_units.c.code)
            return [dict(r) for r in c.execute(query).mappings()]

    def add_user(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Create a central user."""
        c.execute(insert(t.users).values(**values))

    def user_by_username(self, c: Connection, username: str) -> dict[str, Any] | None:
        """Return a central user by log-in name."""
        query = select(t.users).where(t.users.c.username == username)
        row = c.execute(query).mappings().first()
        return dict(row) if row else None

    # Enrollment codes, devices and keys

    def add_enrollment_code(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Store a one-time enrollment code (its hash only)."""
        c.execute(insert(t.enrollment_codes).values(**values))

    def enrollment_code(self, c: Connection, code_hash: str) -> dict[str, Any] | None:
        """Return an enrollment code's record, locked for this transaction."""
        query = select(t.enrollment_codes).where(t.enrollment_codes.c.code_hash == code_hash)
        row = c.execute(self._locked(query)).mappings().first()
        return dict(row) if row else None

    def use_enrollment_code(self, c: Connection, code_hash: str, device_id: str, at: str) -> None:
        """Mark a code used by a device."""
        c.execute(
            update(t.enrollment_codes)
            .where(t.enrollment_codes.c.code_hash == code_hash)
            .values(used_at=at, device_id=device_id)
        )

    def add_device(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Register an enrolled device."""
        c.execute(insert(t.devices).values(**values))

    def device(self, c: Connection, device_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        """Return a device (locked for this transaction when asked)."""
        query = select(t.devices).where(t.devices.c.device_id == device_id)
        row = c.execute(self._locked(query) if lock else query).mappings().first()
        return dict(row) if row else None

    def device_and_key(
        self, c: Connection, device_id: str, key_id: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Return a device and its key of this id (None for either that is not there).

        Every signed request asks this: one statement, built once, instead of two.
        """
        row = c.execute(_DEVICE_AND_KEY, {"device_id": device_id, "key_id": key_id}).first()
        if row is None:
            return None, None
        values = row._asdict()
        key = {name: values.pop("key_" + name) for name in t.device_keys.c.keys()}
        return values, key if key["key_id"] is not None else None

    def devices_locked(self, c: Connection, device_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return devices by id, locked in id order (a fixed order cannot deadlock)."""
        lock = " FOR UPDATE" if self.is_postgres else ""  # SQLite's BEGIN IMMEDIATE locked it all
        sql = f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE device_id {{values}} ORDER BY device_id"
        return {r[0]: dict(r._mapping) for r in where_in(c, sql + lock, device_ids)}

    def devices(self) -> list[dict[str, Any]]:
        """Return every device."""
        with self.reading() as c:
            query = select(t.devices).order_by(t.devices.c.org_code, t.devices.c.device_code)
            return [dict(r) for r in c.execute(query).mappings()]

    def device_code_taken(self, c: Connection, org_code: str, device_code: str) -> bool:
        """Tell whether a unit already has a device with this code."""
        query = (
            select(t.devices.c.device_id)
            .where(t.devices.c.org_code == org_code)
            .where(t.devices.c.device_code == device_code)
        )
        return c.execute(query).first() is not None

    def update_device(self, c: Connection, device_id: str, **values: Any) -> None:
        """Change a device's row."""
        c.execute(update(t.devices).where(t.devices.c.device_id == device_id).values(**values))

    def update_devices(self, c: Connection, rows: list[dict[str, Any]]) -> None:
        """Move the heads of several devices at once (``rows`` hold ``device_id`` and the values)."""
        if not rows:
            return
        names = tuple(name for name in rows[0] if name != "device_id")
        c.execute(
            _device_update(names),
            [{"b_device_id": r["device_id"], **{n: r[n] for n in names}} for r in rows],
        )

    def add_key(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Register a device public key."""
        c.execute(insert(t.device_keys).values(**values))

    def key(self, c: Connection, key_id: str) -> dict[str, Any] | None:
        """Return a device key by id."""
        query = select(t.device_keys).where(t.device_keys.c.key_id == key_id)
        row = c.execute(query).mappings().first()
        return dict(row) if row else None

    def keys(self, c: Connection, key_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return device keys by id."""
        sql = f"SELECT {_KEY_COLUMNS} FROM device_keys WHERE key_id {{values}}"
        return {r[0]: dict(r._mapping) for r in where_in(c, sql, key_ids)}

    def all_keys(self, c: Connection) -> list[dict[str, Any]]:
        """Return every device key ever registered."""
        return [dict(r) for r in c.execute(select(t.device_keys)).mappings()]

    def keys_of(self, c: Connection, device_id: str) -> list[dict[str, Any]]:
        """Return every key a device ever had, oldest first."""
        query = (
            select(t.device_keys)
            .where(t.device_keys.c.device_id == device_id)
            .order_by(t.device_keys.c.created_at)
        )
        return [dict(r) for r in c.execute(query).mappings()]

    def retire_keys(self, c: Connection, device_id: str, at: str, keep: str) -> None:
        """Retire every key of a device except ``keep``."""
        c.execute(
            update(t.device_keys)
            .where(t.device_keys.c.device_id == device_id)
            .where(t.device_keys.c.key_id != keep)
            .where(t.device_keys.c.retired_at.is_(None))
            .values(retired_at=at)
        )

    def remember_nonce(self, c: Connection, device_id: str, nonce: str, seen_at: int) -> bool:
        """Record a request nonce; False if the device already used it (a replay)."""
        values = {"device_id": device_id, "nonce": nonce, "seen_at": seen_at}
        return c.execute(self._remember_nonce, values).first() is not None

    def forget_nonces_before(self, c: Connection, seen_at: int) -> None:
        """Drop nonces older than the replay window."""
        c.execute(t.nonces.delete().where(t.nonces.c.seen_at < seen_at))

    def add_alert(
        self, c: Connection, at: str, kind: str, device_id: str | None, message: str
    ) -> None:
        """Raise an alert for the admins (forks, revoked devices sending, large clock skew)."""
        c.execute(insert(t.alerts).values(at=at, kind=kind, device_id=device_id, message=message))

    def alerts(self) -> list[dict[str, Any]]:
        """Return the alerts, newest first."""
        with self.reading() as c:
            query = select(t.alerts).order_by(t.alerts.c.id.desc())
            return [dict(r) for r in c.execute(query).mappings()]

    # Blobs

    def blob(self, c: Connection, sha256: str, *, lock: bool = False) -> dict[str, Any] | None:
        """Return a blob's upload record (locked for this transaction when asked)."""
        query = select(t.blobs).where(t.blobs.c.sha256 == sha256)
        row = c.execute(self._locked(query) if lock else query).mappings().first()
        return dict(row) if row else None

    def complete_blobs(self, c: Connection, hashes: Iterable[str]) -> dict[str, int]:
        """Return the sizes of those of these blobs that are completely held."""
        sql = "SELECT sha256, size FROM blobs WHERE complete = 1 AND sha256 {values}"
        return {r[0]: int(r[1]) for r in where_in(c, sql, hashes)}

    def blobs(
        self, c: Connection, hashes: Iterable[str], *, lock: bool = False
    ) -> dict[str, dict[str, Any]]:
        """Return the upload records of these blobs that exist (locked when asked, in hash order,
        so two batches that share blobs cannot deadlock on PostgreSQL)."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunked(sorted(set(hashes))):
            query = select(t.blobs).where(t.blobs.c.sha256.in_(chunk)).order_by(t.blobs.c.sha256)
            rows = c.execute(self._locked(query) if lock else query).mappings()
            found.update({r["sha256"]: dict(r) for r in rows})
        return found

    def add_blobs(self, c: Connection, rows: list[Mapping[str, Any]]) -> None:
        """Record several blobs at once (rows with the same keys; one already there is kept)."""
        if rows:
            c.execute(self.insert_ignore(t.blobs), rows)

    def add_blob(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Remember an upload before any byte is sent (a concurrent announce is harmless)."""
        c.execute(self.insert_ignore(t.blobs).values(**values))

    def set_blob_progress(self, c: Connection, sha256: str, received: int, complete: bool) -> None:
        """Record how many bytes of a blob are durably held."""
        c.execute(
            update(t.blobs)
            .where(t.blobs.c.sha256 == sha256)
            .values(received=received, complete=int(complete))
        )

    # Dialect helpers

    def insert_ignore(self, table: Any) -> Any:
        """Return an INSERT that does nothing when the row's key already exists."""
        dialect = postgresql if self.is_postgres else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

    def inserted(self, c: Connection, statement: Any) -> bool:
        """Run an INSERT that may do nothing and tell whether it added the row."""
        # rowcount is -1 for ON CONFLICT DO NOTHING under psycopg: ask for a returned row instead.
        return c.execute(statement.returning(literal_column("1"))).first() is not None

    def _locked(self, query: Any) -> Any:
        # PostgreSQL locks the rows; SQLite's BEGIN IMMEDIATE already holds the database write lock.
        return query.with_for_update() if self.is_postgres else query
