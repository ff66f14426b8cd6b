"""Every SQL statement of the township app: the SQLite store (sqlite-utils).

Durability first: WAL with synchronous=FULL (WAL with NORMAL may lose the last commits on power loss),
``BEGIN IMMEDIATE`` for writes so two writers never deadlock half-way, and the case event, its
projection and its outbox row committed in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from sync.deadlines import YearCalendar
from sync.events import GENESIS_HASH, Event
from sync.fold import CaseState
from township_app.migrations import migrations

PAGE_SIZE = 20


class StoreDamaged(Exception):
    """The database failed its integrity check at start: the app opens read-only."""


@dataclass(frozen=True)
class CaseFilter:
    """What the case list is narrowed to."""

    text: str = ""  # case number, applicant name, or the last digits of an ID number
    state: str = ""
    item_code: str = ""
    village_code: str = ""  # the applicant's village
    agency_code: str = ""  # a village agent sees only its own agency point's cases
    from_villages: bool = False  # only applications taken at village agency points


def connect(path: Path | str, *, read_only: bool = False) -> Database:
    """Open the township database with the durability settings every connection needs."""
    if read_only:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=10, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    return Database(conn, execute_plugins=False)


class Store:
    """The township database: device, org tree, catalogue, users, case log and outbox."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False) -> Store:
        """Open (and, unless read-only, migrate) the database at ``path``."""
        store = cls(connect(path, read_only=read_only))
        if not read_only:
            # Late import: upgrade backs the database up before migrating, and imports this module.
            from township_app.upgrade import apply_migrations

            apply_migrations(store, Path(path))
        return store

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[Store]:
        """Run a block as one write transaction taken with BEGIN IMMEDIATE."""
        conn = self.db.conn
        if conn.in_transaction:
            # Nested: the outer transaction already holds the write lock.
            yield self
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def quick_check(self) -> str:
        """Run SQLite's quick integrity check and return its answer ("ok" when sound)."""
        return self.db.execute("PRAGMA quick_check").fetchone()[0]

    def pending_migrations(self) -> list[str]:
        """Return the names of migrations not yet applied."""
        return [m.name for m in migrations.pending(self.db)]

    # Device and writer chain

    def device(self) -> dict[str, Any] | None:
        """Return this PC's device row, or None before `init`."""
        rows = list(self.db.query("SELECT * FROM device WHERE id = 1"))
        return rows[0] if rows else None

    def create_device(self, device_id: str, device_code: str, org_code: str, at: str) -> None:
        """Record this PC's identity (once)."""
        self.db.execute(
            "INSERT INTO device (id, device_id, device_code, org_code, writer_seq, last_hash,"
            " created_at) VALUES (1, ?, ?, ?, 0, ?, ?)",
            [device_id, device_code, org_code, GENESIS_HASH, at],
        )

    def change_device_code(self, device_code: str) -> None:
        """Give this PC another device code (only before it has written anything)."""
        self.db.execute("UPDATE device SET device_code = ? WHERE id = 1", [device_code])

    def advance_writer(self, writer_seq: int, last_hash: str) -> None:
        """Move this device's chain head to the event just appended."""
        self.db.execute(
            "UPDATE device SET writer_seq = ?, last_hash = ? WHERE id = 1", [writer_seq, last_hash]
        )

    def next_case_sequence(self, day: str) -> int:
        """Take the next case sequence number of a day (inside a write transaction)."""
        self.db.execute(
            "INSERT INTO case_counters (day, last_sequence) VALUES (?, 1)"
            " ON CONFLICT (day) DO UPDATE SET last_sequence = last_sequence + 1",
            [day],
        )
        return self.db.execute(
            "SELECT last_sequence FROM case_counters WHERE day = ?", [day]
        ).fetchone()[0]

    # Org tree

    def replace_org_units(self, units: Iterable[Mapping[str, Any]], *, demo: bool) -> None:
        """Install the org tree (replacing the previous one)."""
        with self.write():
            self.db.execute("DELETE FROM org_units")
            self.db.conn.executemany(
                "INSERT INTO org_units (code, name, level, parent_code, demo) VALUES (?, ?, ?, ?, ?)",
                [(u["code"], u["name"], u["level"], u.get("parent"), int(demo)) for u in units],
            )

    def org_unit(self, code: str) -> dict[str, Any] | None:
        """Return one org unit by division code."""
        rows = list(self.db.query("SELECT * FROM org_units WHERE code = ?", [code]))
        return rows[0] if rows else None

    def child_units(self, code: str) -> list[dict[str, Any]]:
        """Return the units directly below a unit, by code."""
        return list(
            self.db.query("SELECT * FROM org_units WHERE parent_code = ? ORDER BY code", [code])
        )

    def org_names(self) -> dict[str, str]:
        """Return every unit's name by code."""
        return {r["code"]: r["name"] for r in self.db.query("SELECT code, name FROM org_units")}

    # Catalogue

    def install_catalogue(
        self,
        version: str,
        items: Iterable[Mapping[str, Any]],
        *,
        demo: bool,
        note: str,
        published_at: str | None,
        at: str,
    ) -> None:
        """Install a catalogue version, replacing the items of the previous one."""
        with self.write():
            self.db.execute(
                "INSERT OR REPLACE INTO catalogue_versions (version, installed_at, published_at,"
                " demo, note) VALUES (?, ?, ?, ?, ?)",
                [version, at, published_at, int(demo), note],
            )
            self.db.execute("DELETE FROM items")
            self.db.conn.executemany(
                "INSERT INTO items (code, catalogue_version, name, department, kind,"
                " village_available, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        i["code"],
                        version,
                        i["name"],
                        i.get("department", ""),
                        i["kind"],
                        int(bool(i.get("village_available"))),
                        json.dumps(i, ensure_ascii=False),
                    )
                    for i in items
                ],
            )

    def catalogue_version(self) -> dict[str, Any] | None:
        """Return the installed catalogue version row."""
        rows = list(
            self.db.query(
                "SELECT * FROM catalogue_versions ORDER BY installed_at DESC, rowid DESC LIMIT 1"
            )
        )
        return rows[0] if rows else None

    def items(self, *, department: str = "", village_only: bool = False) -> list[dict[str, Any]]:
        """Return the catalogue's items (full bodies), optionally narrowed."""
        sql = "SELECT body, catalogue_version FROM items WHERE 1 = 1"
        params: list[Any] = []
        if department:
            sql += " AND department = ?"
            params.append(department)
        if village_only:
            sql += " AND village_available = 1"
        sql += " ORDER BY department, code"
        return [
            {**json.loads(r["body"]), "catalogue_version": r["catalogue_version"]}
            for r in self.db.query(sql, params)
        ]

    def item(self, code: str) -> dict[str, Any] | None:
        """Return one item's full body."""
        rows = list(
            self.db.query("SELECT body, catalogue_version FROM items WHERE code = ?", [code])
        )
        if not rows:
            return None
        return {**json.loads(rows[0]["body"]), "catalogue_version": rows[0]["catalogue_version"]}

    def departments(self) -> list[str]:
        """Return the departments that have items."""
        return [r["department"] for r in self.db.query("SELECT DISTINCT department FROM items")]

    # Users, log-ins and the audit trail

    def add_user(
        self,
        *,
        username: str,
        display_name: str,
        role: str,
        org_code: str,
        password_hash: str,
        at: str,
    ) -> int:
        """Create a user and return its id."""
        cursor = self.db.execute(
            "INSERT INTO users (username, display_name, role, org_code, password_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [username, display_name, role, org_code, password_hash, at],
        )
        return cursor.lastrowid

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        """Return a user by log-in name."""
        rows = list(self.db.query("SELECT * FROM users WHERE username = ?", [username]))
        return rows[0] if rows else None

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        """Return a user by id."""
        rows = list(self.db.query("SELECT * FROM users WHERE id = ?", [user_id]))
        return rows[0] if rows else None

    def users(self) -> list[dict[str, Any]]:
        """Return all users."""
        return list(self.db.query("SELECT * FROM users ORDER BY role, username"))

    def record_login_failure(self, user_id: int, locked_until: str | None) -> int:
        """Count a failed log-in (locking the account when told) and return the new count."""
        self.db.execute(
            "UPDATE users SET failed_logins = failed_logins + 1,"
            " locked_until = COALESCE(?, locked_until) WHERE id = ?",
            [locked_until, user_id],
        )
        return self.db.execute(
            "SELECT failed_logins FROM users WHERE id = ?", [user_id]
        ).fetchone()[0]

    def clear_login_failures(self, user_id: int) -> None:
        """Reset the failed log-in count and any lock."""
        self.db.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", [user_id]
        )

    def set_password(self, user_id: int, password_hash: str) -> None:
        """Store a new password hash."""
        self.db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])

    def set_user_active(self, user_id: int, active: bool) -> None:
        """Enable or disable a user."""
        self.db.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), user_id])

    def audit(self, at: str, username: str, action: str, detail: str = "") -> None:
        """Append a log-in or admin action to the audit trail (never personal data)."""
        self.db.execute(
            "INSERT INTO audit_log (at, username, action, detail) VALUES (?, ?, ?, ?)",
            [at, username, action, detail],
        )

    def audit_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        """Return the newest audit entries."""
        return list(self.db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]))

    # Case log and projection

    def append_event(self, event: Event) -> None:
        """Append one event to the log (inside the caller's write transaction)."""
        self.db.execute(
            "INSERT INTO events (event_id, case_id, writer, writer_seq, prev_hash, hash, actor, at,"
            " type, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                event.event_id,
                event.case_id,
                event.writer,
                event.writer_seq,
                event.prev_hash,
                event.hash,
                event.actor,
                event.at,
                event.type,
                json.dumps(dict(event.payload), ensure_ascii=False, sort_keys=True),
            ],
        )

    def case_events(self, case_id: str) -> list[Event]:
        """Return a case's events in log order."""
        return [
            _event_from_row(r)
            for r in self.db.query(_EVENTS_SQL + " WHERE case_id = ? ORDER BY seq", [case_id])
        ]

    def writer_events(self, writer: str) -> list[Event]:
        """Return one writer's events by sequence (for verifying its hash chain)."""
        return [
            _event_from_row(r)
            for r in self.db.query(_EVENTS_SQL + " WHERE writer = ? ORDER BY writer_seq", [writer])
        ]

    def event_count(self) -> int:
        """Return how many events the log holds."""
        return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def save_case(self, state: CaseState) -> None:
        """Write a case's projection row from its folded state (same transaction as its event)."""
        applicant = state.applicant
        self.db.execute(
            "INSERT INTO cases (case_id, case_number, item_code, item_name, kind, state,"
            " applicant_name, id_reversed, village_code, org_code, green_channel, registered_at,"
            " updated_at, state_json, agency_code)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (case_id) DO UPDATE SET state = excluded.state,"
            " updated_at = excluded.updated_at, state_json = excluded.state_json",
            [
                state.case_id,
                state.case_number,
                state.item["code"],
                state.item["name"],
                state.item["kind"],
                state.state,
                applicant["name"],
                applicant["id_number"][::-1],
                applicant.get("village_code", ""),
                state.org_code,
                int(state.green_channel),
                state.registered_at,
                state.last_at,
                json.dumps(state.to_dict(), ensure_ascii=False),
                state.agency_code or "",
            ],
        )

    def case(self, case_id: str) -> CaseState | None:
        """Return a case's projected state."""
        row = self.db.execute(
            "SELECT state_json FROM cases WHERE case_id = ?", [case_id]
        ).fetchone()
        return CaseState.from_dict(json.loads(row[0])) if row else None

    def case_id_by_number(self, case_number: str) -> str | None:
        """Return the internal id of a case by its printed number."""
        row = self.db.execute(
            "SELECT case_id FROM cases WHERE case_number = ?", [case_number]
        ).fetchone()
        return row[0] if row else None

    def search_cases(
        self, where: CaseFilter, *, page: int = 1, page_size: int = PAGE_SIZE
    ) -> tuple[list[CaseState], bool]:
        """Return one page of matching cases, newest first, and whether a next page exists."""
        source, clause, params = _filter_clause(where)
        rows = self.db.execute(
            f"SELECT state_json FROM {source} {clause} ORDER BY registered_at DESC, case_id"
            " LIMIT ? OFFSET ?",
            [*params, page_size + 1, (page - 1) * page_size],
        ).fetchall()
        states = [CaseState.from_dict(json.loads(r[0])) for r in rows[:page_size]]
        return states, len(rows) > page_size

    def count_cases(self, where: CaseFilter) -> int:
        """Return how many cases match."""
        source, clause, params = _filter_clause(where)
        return self.db.execute(f"SELECT COUNT(*) FROM {source} {clause}", params).fetchone()[0]

    def cases_in_state(
        self,
        state: str,
        *,
        village_code: str = "",
        agency_code: str = "",
        from_villages: bool = False,
        limit: int = 1000,
    ) -> list[CaseState]:
        """Return the oldest cases in one state (work queues), at most ``limit``."""
        sql = "SELECT state_json FROM cases WHERE state = ?"
        params: list[Any] = [state]
        if village_code:
            sql += " AND village_code = ?"
            params.append(village_code)
        if agency_code:
            sql += " AND agency_code = ?"
            params.append(agency_code)
        if from_villages:
            sql += " AND agency_code != ''"
        rows = self.db.execute(sql + " ORDER BY registered_at LIMIT ?", [*params, limit]).fetchall()
        return [CaseState.from_dict(json.loads(r[0])) for r in rows]

    def state_counts(self, *, village_code: str = "", agency_code: str = "") -> dict[str, int]:
        """Return how many cases are in each state."""
        sql = "SELECT state, COUNT(*) FROM cases"
        params: list[Any] = []
        if village_code:
            sql += " WHERE village_code = ?"
            params.append(village_code)
        elif agency_code:
            sql += " WHERE agency_code = ?"
            params.append(agency_code)
        return dict(self.db.execute(sql + " GROUP BY state", params).fetchall())

    # Attachments

    def add_blob(self, sha256: str, size: int, media_type: str, at: str) -> None:
        """Record a stored attachment (after its file is on disk and fsynced)."""
        self.db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, media_type, created_at) VALUES (?, ?, ?, ?)",
            [sha256, size, media_type, at],
        )

    def blob(self, sha256: str) -> dict[str, Any] | None:
        """Return an attachment's record."""
        rows = list(self.db.query("SELECT * FROM blobs WHERE sha256 = ?", [sha256]))
        return rows[0] if rows else None

    # Outbox

    def enqueue_outbox(self, case_id: str, event_id: str, at: str) -> None:
        """Queue a forwarded case to go up to the central server."""
        self.db.execute(
            "INSERT INTO outbox (case_id, event_id, created_at) VALUES (?, ?, ?)",
            [case_id, event_id, at],
        )

    def outbox_waiting(self) -> int:
        """Return how many forwarded cases wait to go up."""
        return self.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'waiting'").fetchone()[0]

    def outbox_rows(self) -> list[dict[str, Any]]:
        """Return the outbox, oldest first."""
        return list(self.db.query("SELECT * FROM outbox ORDER BY id"))

    def outbox_waiting_rows(self, limit: int) -> list[dict[str, Any]]:
        """Return the oldest forwarded cases still waiting to go up, with their case numbers.

        Only the waiting ones, and at most ``limit``: the outbox keeps every case ever sent, tens
        of thousands after a few years, and the admin page shows what is stuck.
        """
        return list(
            self.db.query(
                "SELECT o.id, o.case_id, o.created_at, c.case_number FROM outbox o"
                " LEFT JOIN cases c ON c.case_id = o.case_id"
                " WHERE o.status = 'waiting' ORDER BY o.id LIMIT ?",
                [limit],
            )
        )

    # Working-day calendar

    def calendar_years(self) -> list[YearCalendar]:
        """Return the calendar overrides installed from the central server."""
        return [
            YearCalendar.from_dict(json.loads(r["body"]))
            for r in self.db.query("SELECT body FROM calendar_years ORDER BY year")
        ]

    def install_calendar_year(self, year: YearCalendar, at: str) -> None:
        """Install or replace one year's working-day calendar."""
        self.db.execute(
            "INSERT OR REPLACE INTO calendar_years (year, version, body, installed_at)"
            " VALUES (?, ?, ?, ?)",
            [year.year, year.version, json.dumps(year.to_dict(), ensure_ascii=False), at],
        )


_EVENTS_SQL = (
    "SELECT event_id, case_id, writer, writer_seq, prev_hash, actor, at, type, payload FROM events"
)


def _event_from_row(row: Mapping[str, Any]) -> Event:
    return Event.from_row(row)


def _filter_clause(where: CaseFilter) -> tuple[str, str, list[Any]]:
    # Return the table to read (with its index, when the planner must be told), WHERE and params.
    source = "cases"
    conditions: list[str] = []
    params: list[Any] = []
    text = where.text.strip()
    if text:
        if "-" in text and text.replace("-", "").isalnum():
            conditions.append("case_number GLOB ?")
            params.append(text.upper() + "*")
        elif text.isdigit() or (text[:-1].isdigit() and text[-1:] in "xX"):
            # Last digits of an ID number, or a case number typed without hyphens' prefix.
            conditions.append("(id_reversed GLOB ? OR case_number GLOB ?)")
            params.extend([text.upper()[::-1] + "*", text + "*"])
        else:
            # A substring of a name cannot seek any index: scan the narrow cases_text index (names
            # in registration order) rather than the wide rows. Left to itself the planner walks
            # cases_registered and reads every row for a rare name, or an equality index of a
            # filter and reads each of its rows; cases_text checks the names first and reads the
            # row only for a name that matches, so a search costs one narrow scan at most.
            source = "cases INDEXED BY cases_text"
            conditions.append("(applicant_name LIKE ? OR item_name LIKE ?)")
            params.extend([f"%{text}%", f"%{text}%"])
    if where.state:
        conditions.append("state = ?")
        params.append(where.state)
    if where.item_code:
        conditions.append("item_code = ?")
        params.append(where.item_code)
    if where.village_code:
        conditions.append("village_code = ?")
        params.append(where.village_code)
    if where.agency_code:
        conditions.append("agency_code = ?")
        params.append(where.agency_code)
    if where.from_villages:
        conditions.append("agency_code != ''")
    clause = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    return source, clause, params
