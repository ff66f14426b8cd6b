"""Every SQL statement of the central server (SQLAlchemy Core on SQLite or PostgreSQL).

Workers are stateless: everything lives in the database, and the rules that must hold under
concurrency (one bundle per device sequence, one event per writer sequence) are unique constraints,
checked while the device's row is locked for the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, update
from sqlalchemy.pool import NullPool

from central_api import schema as t
from central_api.migrate import upgrade
from sync.events import Event
from sync.fold import CaseState


def make_engine(url: str) -> Engine:
    """Create the engine for a database URL, with durable settings on SQLite."""
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Take over transaction control so that writes can begin IMMEDIATE.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class CentralStore:
    """The central database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> CentralStore:
        """Open the database at ``url`` and bring its schema up to date."""
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Run a block in one transaction, committed durably before the block's result is used."""
        with self.engine.begin() as connection:
            yield connection

    @property
    def is_postgres(self) -> bool:
        """Tell whether the database is PostgreSQL."""
        return self.engine.dialect.name == "postgresql"

    # Org tree and users

    def replace_org_units(self, units: list[Mapping[str, Any]]) -> None:
        """Install the org tree."""
        with self.transaction() as c:
            c.execute(t.org_units.delete())
            if units:
                c.execute(
                    insert(t.org_units),
                    [
                        {
                            "code": u["code"],
                            "name": u["name"],
                            "level": u["level"],
                            "parent_code": u.get("parent"),
                        }
                        for u in units
                    ],
                )

    def org_unit(self, c: Connection, code: str) -> dict[str, Any] | None:
        """Return one org unit."""
        row = c.execute(select(t.org_units).where(t.org_units.c.code == code)).mappings().first()
        return dict(row) if row else None

    def org_units(self) -> list[dict[str, Any]]:
        """Return the whole org tree."""
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(select(t.org_units)).mappings()]

    def add_user(self, values: Mapping[str, Any]) -> None:
        """Create a central user."""
        with self.transaction() as c:
            c.execute(insert(t.users).values(**values))

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        """Return a central user by log-in name."""
        with self.engine.connect() as c:
            row = (
                c.execute(select(t.users).where(t.users.c.username == username)).mappings().first()
            )
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

    def devices(self) -> list[dict[str, Any]]:
        """Return every device."""
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(select(t.devices).order_by(t.devices.c.org_code))]

    def device_codes(self, c: Connection, org_code: str) -> set[str]:
        """Return the device codes already used in a unit."""
        query = select(t.devices.c.device_code).where(t.devices.c.org_code == org_code)
        return {r[0] for r in c.execute(query)}

    def update_device(self, c: Connection, device_id: str, **values: Any) -> None:
        """Change a device's row."""
        c.execute(update(t.devices).where(t.devices.c.device_id == device_id).values(**values))

    def add_key(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Register a device public key."""
        c.execute(insert(t.device_keys).values(**values))

    def key(self, c: Connection, key_id: str) -> dict[str, Any] | None:
        """Return a device key by id."""
        row = (
            c.execute(select(t.device_keys).where(t.device_keys.c.key_id == key_id))
            .mappings()
            .first()
        )
        return dict(row) if row else None

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
        exists = c.execute(
            select(t.nonces.c.nonce)
            .where(t.nonces.c.device_id == device_id)
            .where(t.nonces.c.nonce == nonce)
        ).first()
        if exists:
            return False
        c.execute(insert(t.nonces).values(device_id=device_id, nonce=nonce, seen_at=seen_at))
        return True

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
        with self.engine.connect() as c:
            return [
                dict(r)
                for r in c.execute(select(t.alerts).order_by(t.alerts.c.id.desc())).mappings()
            ]

    # Bundles, events, cases

    def bundle_by_hash(self, c: Connection, bundle_hash: str) -> dict[str, Any] | None:
        """Return a stored bundle by the hash of its payload."""
        row = (
            c.execute(select(t.bundles).where(t.bundles.c.bundle_hash == bundle_hash))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def bundle_at(self, c: Connection, device_id: str, sequence: int) -> dict[str, Any] | None:
        """Return a device's stored bundle of a given sequence."""
        row = (
            c.execute(
                select(t.bundles)
                .where(t.bundles.c.device_id == device_id)
                .where(t.bundles.c.sequence == sequence)
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def add_bundle(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Keep a bundle's envelope bytes verbatim with its receipt."""
        c.execute(insert(t.bundles).values(**values))

    def bundles_of(self, device_id: str) -> list[dict[str, Any]]:
        """Return a device's bundles in sequence order (for re-verification)."""
        with self.engine.connect() as c:
            query = (
                select(t.bundles)
                .where(t.bundles.c.device_id == device_id)
                .order_by(t.bundles.c.sequence)
            )
            return [dict(r) for r in c.execute(query).mappings()]

    def add_events(self, c: Connection, rows: list[Mapping[str, Any]]) -> None:
        """Append events to the central log."""
        if rows:
            c.execute(insert(t.events), rows)

    def case(self, c: Connection, case_id: str) -> CaseState | None:
        """Return a case's folded state."""
        row = c.execute(select(t.cases.c.state_json).where(t.cases.c.case_id == case_id)).first()
        return CaseState.from_dict(json.loads(row[0])) if row else None

    def save_case(self, c: Connection, state: CaseState, *, exists: bool) -> None:
        """Write a case's projection from its folded state."""
        values = {
            "state": state.state,
            "holder_code": state.holder_code,
            "state_json": json.dumps(state.to_dict(), ensure_ascii=False),
            "updated_at": state.last_at,
        }
        if exists:
            c.execute(update(t.cases).where(t.cases.c.case_id == state.case_id).values(**values))
        else:
            c.execute(
                insert(t.cases).values(
                    case_id=state.case_id,
                    case_number=state.case_number,
                    org_code=state.org_code,
                    **values,
                )
            )

    def case_events(self, case_id: str) -> list[tuple[Event, str, str]]:
        """Return a case's events with their status and reason, in log order."""
        with self.engine.connect() as c:
            query = select(t.events).where(t.events.c.case_id == case_id).order_by(t.events.c.seq)
            return [
                (
                    Event(
                        event_id=r["event_id"],
                        case_id=r["case_id"],
                        writer=r["writer"],
                        writer_seq=r["writer_seq"],
                        prev_hash=r["prev_hash"],
                        actor=r["actor"],
                        at=r["at"],
                        type=r["type"],
                        payload=json.loads(r["payload"]),
                    ),
                    r["status"],
                    r["reason"],
                )
                for r in c.execute(query).mappings()
            ]

    def count(self, table: str) -> int:
        """Return the number of rows of a table (tests and benchmarks)."""
        with self.engine.connect() as c:
            return c.execute(
                select(func.count()).select_from(t.metadata.tables[table])
            ).scalar_one()

    def cases_held_by(self, org_code: str) -> list[CaseState]:
        """Return the cases a unit holds now."""
        with self.engine.connect() as c:
            query = select(t.cases.c.state_json).where(t.cases.c.holder_code == org_code)
            return [CaseState.from_dict(json.loads(r[0])) for r in c.execute(query)]

    # Feed

    def add_feed_entry(self, c: Connection, scope: str, kind: str, envelope: bytes, at: str) -> int:
        """Append a signed entry to the feed and return its sequence."""
        result = c.execute(
            insert(t.feed).values(scope=scope, kind=kind, envelope=envelope, created_at=at)
        )
        return int(result.inserted_primary_key[0])

    def feed_page(self, scopes: list[str], after: int, limit: int) -> list[dict[str, Any]]:
        """Return feed entries for these scopes after a cursor, in order."""
        with self.engine.connect() as c:
            query = (
                select(t.feed)
                .where(t.feed.c.scope.in_(scopes))
                .where(t.feed.c.seq > after)
                .order_by(t.feed.c.seq)
                .limit(limit)
            )
            return [dict(r) for r in c.execute(query).mappings()]

    # Blobs

    def blob(self, c: Connection, sha256: str) -> dict[str, Any] | None:
        """Return a blob's upload record."""
        row = c.execute(select(t.blobs).where(t.blobs.c.sha256 == sha256)).mappings().first()
        return dict(row) if row else None

    def add_blob(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Remember an upload before any byte is sent."""
        c.execute(insert(t.blobs).values(**values))

    def set_blob_progress(self, c: Connection, sha256: str, received: int, complete: bool) -> None:
        """Record how many bytes of a blob are durably held."""
        c.execute(
            update(t.blobs)
            .where(t.blobs.c.sha256 == sha256)
            .values(received=received, complete=int(complete))
        )

    # Catalogue

    def add_catalogue_version(
        self, c: Connection, version: str, published_at: str, body: str
    ) -> None:
        """Keep a published catalogue version."""
        c.execute(
            insert(t.catalogue_versions).values(
                version=version, published_at=published_at, body=body
            )
        )

    def _locked(self, query: Any) -> Any:
        # PostgreSQL locks the row; SQLite's BEGIN IMMEDIATE already holds the database write lock.
        return query.with_for_update() if self.is_postgres else query
