"""The SQL of this PC's own records: its identity and writer chain, case numbers, attachments and
the outbox of forwarded cases (a part of the township store)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from sync.events import GENESIS_HASH


class DeviceQueries:
    """This PC's identity, writer chain, case counters, attachments and outbox."""

    db: Database

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
