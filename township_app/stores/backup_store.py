"""Every SQL statement of backup, restore and upgrade: snapshots through SQLite's online backup API,
integrity checks, the schema a file was made by, and the restore check's bookkeeping.

A snapshot is taken with ``sqlite3.Connection.backup`` (never a file copy of a live database, whose
WAL may hold the latest commits), so it is a consistent database even while the app writes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from township_app.stores.migrations import migrations
from township_app.stores.store import Store, connect

MIGRATIONS_TABLE = "_sqlite_migrations"


def snapshot(source: Path, target: Path) -> None:
    """Copy the database at ``source`` to a new file ``target`` with the online backup API."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst, pages=4096)
            # A standalone file: no WAL beside it, so the one file is the whole database.
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()


def integrity_check(path: Path) -> str:
    """Run the full ``PRAGMA integrity_check`` on a closed database file; return "ok" when sound."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return str(error)
    return "; ".join(str(row[0]) for row in rows[:5])


def describe(path: Path) -> dict[str, Any]:
    """Return what a backup's manifest says of a database: migrations applied, device, counts."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        names = [
            row[0]
            for row in conn.execute(
                f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid",
                [migrations.name],
            )
        ]
        device = conn.execute(
            "SELECT device_id, device_code, org_code FROM device WHERE id = 1"
        ).fetchone()
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        cases = conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
        blobs = [row[0] for row in conn.execute("SELECT sha256 FROM blobs ORDER BY sha256")]
    finally:
        conn.close()
    return {
        "migrations": names,
        "device": dict(device) if device else None,
        "events": events,
        "cases": cases,
        "blobs": blobs,
    }


def applied_migrations(path: Path) -> list[str]:
    """Return the migrations applied to the database at ``path`` (none for a new file)."""
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MIGRATIONS_TABLE]
        ).fetchone()
        if not has_table:
            return []
        return [
            row[0]
            for row in conn.execute(
                f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid",
                [migrations.name],
            )
        ]
    finally:
        conn.close()


def checkpoint(path: Path) -> None:
    """Fold the WAL into the database file and empty it (before the file is replaced)."""
    conn = sqlite3.connect(str(path), timeout=10)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def mark_restored(path: Path, at: str) -> None:
    """Mark a restored database: sync stays held until central says it is not ahead of it."""
    store = Store.open(path)
    try:
        migrations.apply(store.db)  # a backup made by an older version: bring it to this one
        with store.write():
            enrolled = store.db.execute(
                "SELECT enrolled_at FROM sync_state WHERE id = 1"
            ).fetchone()[0]
            store.db.execute(
                "UPDATE sync_state SET restored_at = ?, restore_check = ?, restore_note = ''"
                " WHERE id = 1",
                [at, "pending" if enrolled else ""],
            )
    finally:
        store.close()
    # The restored file goes in place as one file: fold its WAL in first.
    conn = connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


class RestoreStore:
    """The restore check's bookkeeping, on the township store's connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def restore_state(self) -> dict[str, Any]:
        """Return the restore columns of sync_state and this PC's highest bundle."""
        row = self.db.execute(
            "SELECT restored_at, restore_check, restore_note, bundle_sequence, bundle_hash"
            " FROM sync_state WHERE id = 1"
        ).fetchone()
        return {
            "restored_at": row[0],
            "restore_check": row[1],
            "restore_note": row[2],
            "bundle_sequence": row[3],
            "bundle_hash": row[4],
        }

    def bundle_hash_at(self, sequence: int) -> str | None:
        """Return the hash of this PC's bundle with a sequence, if it holds one."""
        row = self.db.execute(
            "SELECT bundle_hash FROM bundles_out WHERE sequence = ?", [sequence]
        ).fetchone()
        return row[0] if row else None

    def set_restore_check(self, check: str, note: str) -> None:
        """Record the restore check's verdict ('' = cleared, 'pending', 'held')."""
        self.db.execute(
            "UPDATE sync_state SET restore_check = ?, restore_note = ? WHERE id = 1", [check, note]
        )

    def retire_identity(
        self, *, old_device_id: str, device_id: str, device_code: str, at: str
    ) -> int:
        """Give this PC a new device identity: keep the old bundles aside, start a new chain."""
        self.db.execute(
            "INSERT OR IGNORE INTO retired_bundles"
            " (device_id, sequence, bundle_hash, status, envelope, retired_at)"
            " SELECT ?, sequence, bundle_hash, status, envelope, ? FROM bundles_out",
            [old_device_id, at],
        )
        moved = self.db.execute("SELECT COUNT(*) FROM bundles_out").fetchone()[0]
        self.db.execute("DELETE FROM bundles_out")
        self.db.execute(
            "UPDATE device SET device_id = ?, device_code = ?, writer_seq = 0,"
            " last_hash = '0000000000000000000000000000000000000000000000000000000000000000'"
            " WHERE id = 1",
            [device_id, device_code],
        )
        self.db.execute(
            "UPDATE sync_state SET enrolled_at = NULL, key_id = '', pending_key_id = '',"
            " bundle_sequence = 0,"
            " bundle_hash = '0000000000000000000000000000000000000000000000000000000000000000',"
            " packed_writer_seq = 0, feed_cursor = 0, online = 0, failures = 0, last_error = '',"
            " revoked_at = NULL, revoked_after_sequence = NULL, restore_check = '',"
            " restore_note = '' WHERE id = 1"
        )
        return moved
