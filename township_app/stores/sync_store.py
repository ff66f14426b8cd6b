"""Every SQL statement of sync at the township: enrollment, bundles out, receipts, blob uploads, feed.

It works on the same connection as ``township_app.stores.store.Store`` and inside its ``write()``
transactions, so a bundle and the head it advances, or a feed page and its cursor, commit together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from sync.events import Event
from township_app.stores.store import Store

_EVENT_COLUMNS = "event_id, case_id, writer, writer_seq, prev_hash, actor, at, type, payload"


class SyncStore:
    """Sync bookkeeping of this PC, on the township store's connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    # State

    def state(self) -> dict[str, Any]:
        """Return the one sync_state row."""
        return dict(next(iter(self.db.query("SELECT * FROM sync_state WHERE id = 1"))))

    def update_state(self, **values: Any) -> None:
        """Set some columns of the sync_state row."""
        columns = ", ".join(f"{name} = ?" for name in values)
        self.db.execute(f"UPDATE sync_state SET {columns} WHERE id = 1", list(values.values()))

    def record_enrollment(
        self, *, server_url: str, key_id: str, central_public_key: str, central_key_id: str, at: str
    ) -> None:
        """Pin the central key and remember the server and this device's key id."""
        self.update_state(
            server_url=server_url,
            key_id=key_id,
            central_public_key=central_public_key,
            central_key_id=central_key_id,
            enrolled_at=at,
        )

    def record_round(
        self, *, at: str, reached: bool, complete: bool, error: str, failures: int
    ) -> None:
        """Remember how the last sync round went: central reached, every stage done, the error."""
        self.db.execute(
            "UPDATE sync_state SET online = ?, last_attempt_at = ?,"
            " last_sync_at = CASE WHEN ? THEN ? ELSE last_sync_at END,"
            " last_error = ?, failures = ? WHERE id = 1",
            [int(reached), at, int(complete), at, error, failures],
        )

    def header_status(self) -> dict[str, Any]:
        """Return what every page header shows, in one query."""
        row = self.db.execute(
            "SELECT s.online, s.last_sync_at, s.enrolled_at, s.revoked_at,"
            " (SELECT COUNT(*) FROM outbox WHERE status = 'waiting'),"
            " (SELECT COUNT(*) FROM bundles_out WHERE status = 'refused'),"
            " (SELECT COUNT(*) FROM feed_problems WHERE acknowledged_at IS NULL),"
            " s.server_url,"
            " (SELECT COUNT(*) FROM bundles_out WHERE status != 'done'),"
            " max(coalesce((SELECT max(received_at) FROM bundles_out), ''),"
            "     coalesce((SELECT max(applied_at) FROM feed_applied), ''))"
            " FROM sync_state s WHERE s.id = 1"
        ).fetchone()
        return {
            "online": bool(row[0]),
            "last_sync": row[1],
            "enrolled": bool(row[2]),
            "revoked": bool(row[3]),
            "waiting": row[4],
            "refused": row[5],
            "problems": row[6] + (1 if row[3] else 0),
            # Enrolled by file (no server): it exchanges by USB stick, it is never "offline".
            "by_file": bool(row[2]) and not row[7],
            "bundles_to_carry": row[8],
            "last_exchange": row[9] or None,
        }

    # Packing

    def events_to_pack(self, writer: str, after_seq: int, limit: int) -> list[Event]:
        """Return a writer's events after a sequence number, in order, at most ``limit``."""
        return self._events(
            "WHERE writer = ? AND writer_seq > ? ORDER BY writer_seq LIMIT ?",
            [writer, after_seq, limit],
        )

    def events_between(self, writer: str, first: int, last: int) -> list[Event]:
        """Return a writer's events with sequence numbers from ``first`` to ``last``."""
        return self._events(
            "WHERE writer = ? AND writer_seq BETWEEN ? AND ? ORDER BY writer_seq",
            [writer, first, last],
        )

    def _events(self, where: str, params: list[Any]) -> list[Event]:
        # Plain tuples rather than sqlite-utils' dicts: packing reads every event once more.
        cursor = self.db.execute(f"SELECT {_EVENT_COLUMNS} FROM events {where}", params)
        return [
            Event(event_id, case_id, writer, seq, prev, actor, at, kind, orjson.loads(payload))
            for event_id, case_id, writer, seq, prev, actor, at, kind, payload in cursor
        ]

    def add_bundle(self, row: Mapping[str, Any]) -> None:
        """Store a signed bundle, waiting to go up, and advance the packed head."""
        self.db.execute(
            "INSERT INTO bundles_out (sequence, bundle_id, bundle_hash, previous, key_id,"
            " first_writer_seq, last_writer_seq, event_count, attachments, envelope, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                row["sequence"],
                row["bundle_id"],
                row["bundle_hash"],
                row["previous"],
                row["key_id"],
                row["first_writer_seq"],
                row["last_writer_seq"],
                row["event_count"],
                json.dumps(row["attachments"]),
                row["envelope"],
                row["created_at"],
            ],
        )
        self.update_state(
            bundle_sequence=row["sequence"],
            bundle_hash=row["bundle_hash"],
            packed_writer_seq=row["last_writer_seq"],
        )

    def replace_bundle(self, sequence: int, row: Mapping[str, Any]) -> None:
        """Replace a not yet acknowledged bundle by a re-signed one with the same sequence."""
        self.db.execute(
            "UPDATE bundles_out SET bundle_id = ?, bundle_hash = ?, previous = ?, key_id = ?,"
            " envelope = ?, status = 'waiting', error_code = '', error_message = '',"
            " created_at = ? WHERE sequence = ? AND status != 'done'",
            [
                row["bundle_id"],
                row["bundle_hash"],
                row["previous"],
                row["key_id"],
                row["envelope"],
                row["created_at"],
                sequence,
            ],
        )

    # Bundles

    def bundle(self, sequence: int) -> dict[str, Any] | None:
        """Return one bundle by sequence."""
        rows = list(self.db.query("SELECT * FROM bundles_out WHERE sequence = ?", [sequence]))
        return rows[0] if rows else None

    def last_done_bundle(self) -> dict[str, Any] | None:
        """Return the newest acknowledged bundle (its hash chains the next re-signed one)."""
        rows = list(
            self.db.query(
                "SELECT * FROM bundles_out WHERE status = 'done' ORDER BY sequence DESC LIMIT 1"
            )
        )
        return rows[0] if rows else None

    def unacknowledged(self, *, from_sequence: int = 0) -> list[dict[str, Any]]:
        """Return every bundle not yet acknowledged (waiting or refused), by sequence."""
        return list(
            self.db.query(
                "SELECT * FROM bundles_out WHERE status != 'done' AND sequence >= ?"
                " ORDER BY sequence",
                [from_sequence],
            )
        )

    def sendable(self, limit: int, columns: str = "*", *, after: int = 0) -> list[dict[str, Any]]:
        """Return the waiting bundles in order up to the first refused one (sequences are strict).

        ``columns`` narrows the rows (the envelopes are large; the uploads need only manifests);
        ``after`` skips the bundles up to that sequence (a batch on its way).
        """
        first_refused = self.db.execute(
            "SELECT MIN(sequence) FROM bundles_out WHERE status = 'refused'"
        ).fetchone()[0]
        sql = f"SELECT {columns} FROM bundles_out WHERE status = 'waiting' AND sequence > ?"
        params: list[Any] = [after]
        if first_refused is not None:
            sql += " AND sequence < ?"
            params.append(first_refused)
        return list(self.db.query(sql + " ORDER BY sequence LIMIT ?", [*params, limit]))

    def envelopes(self, first: int, last: int) -> dict[int, bytes]:
        """Return the stored envelope bytes of the bundles with sequences ``first`` to ``last``."""
        return {
            sequence: bytes(envelope)
            for sequence, envelope in self.db.execute(
                "SELECT sequence, envelope FROM bundles_out WHERE sequence BETWEEN ? AND ?",
                [first, last],
            )
        }

    def count_bundles(self) -> dict[str, int]:
        """Return how many bundles are in each status."""
        return dict(
            self.db.execute("SELECT status, COUNT(*) FROM bundles_out GROUP BY status").fetchall()
        )

    def refused_bundles(self) -> list[dict[str, Any]]:
        """Return the bundles central refused, with its code and message."""
        return list(
            self.db.query(
                "SELECT sequence, bundle_hash, first_writer_seq, last_writer_seq, event_count,"
                " error_code, error_message, attempts, created_at FROM bundles_out"
                " WHERE status = 'refused' ORDER BY sequence"
            )
        )

    def count_attempt(self, sequence: int, code: str = "", message: str = "") -> None:
        """Count a try that left the bundle waiting (and why)."""
        self.db.execute(
            "UPDATE bundles_out SET attempts = attempts + 1, error_code = ?, error_message = ?"
            " WHERE sequence = ?",
            [code, message, sequence],
        )

    def refuse_bundle(self, sequence: int, code: str, message: str) -> None:
        """Quarantine a bundle central refused, with its reason."""
        self.db.execute(
            "UPDATE bundles_out SET status = 'refused', attempts = attempts + 1, error_code = ?,"
            " error_message = ? WHERE sequence = ? AND status = 'waiting'",
            [code, message, sequence],
        )

    def mark_bundle_done(
        self,
        bundle: Mapping[str, Any],
        *,
        device_id: str,
        receipt: bytes,
        received_at: str,
        rejected: Iterable[tuple[str, str]],
        at: str,
    ) -> None:
        """Keep the receipt, mark the bundle done, its forwarded cases sent and rejected events."""
        self.db.execute(
            "UPDATE bundles_out SET status = 'done', receipt = ?, received_at = ?, done_at = ?,"
            " error_code = '', error_message = '' WHERE sequence = ?",
            [receipt, received_at, at, bundle["sequence"]],
        )
        rejected = list(rejected)
        for event_id, reason in rejected:
            self.db.execute(
                "INSERT OR IGNORE INTO rejected_events (event_id, case_id, bundle_sequence,"
                " reason, received_at) SELECT event_id, case_id, ?, ?, ? FROM events"
                " WHERE event_id = ? AND writer = ?",
                [bundle["sequence"], reason[:1000], received_at, event_id, device_id],
            )
        self.db.execute(
            "UPDATE outbox SET status = CASE WHEN event_id IN"
            " (SELECT event_id FROM rejected_events WHERE bundle_sequence = ?)"
            " THEN 'rejected' ELSE 'sent' END"
            # ``+status``: look the bundle's events up by id. On the status index SQLite would walk
            # every waiting row of the outbox for each bundle (thousands after two weeks offline).
            " WHERE +status = 'waiting' AND event_id IN (SELECT event_id FROM events"
            " WHERE writer = ? AND writer_seq BETWEEN ? AND ?)",
            [bundle["sequence"], device_id, bundle["first_writer_seq"], bundle["last_writer_seq"]],
        )

    def rejected_events(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """Return the events central kept but refused to apply (of one case, or all)."""
        sql = (
            "SELECT r.*, e.type, c.case_number FROM rejected_events r"
            " LEFT JOIN events e ON e.event_id = r.event_id"
            " LEFT JOIN cases c ON c.case_id = r.case_id"
        )
        if case_id is None:
            return list(self.db.query(sql + " ORDER BY r.received_at DESC LIMIT 200"))
        return list(self.db.query(sql + " WHERE r.case_id = ? ORDER BY r.received_at", [case_id]))

    # Blob uploads

    def completed_blobs(self, digests: Iterable[str]) -> set[str]:
        """Return which of these blobs central already holds completely."""
        wanted = list(set(digests))
        if not wanted:
            return set()
        marks = ", ".join("?" for _ in wanted)
        return {
            r[0]
            for r in self.db.execute(
                f"SELECT sha256 FROM blob_uploads WHERE sha256 IN ({marks})", wanted
            ).fetchall()
        }

    def mark_blob_complete(self, sha256: str, at: str) -> None:
        """Remember that central holds a blob completely (never send it again)."""
        self.db.execute(
            "INSERT OR IGNORE INTO blob_uploads (sha256, completed_at) VALUES (?, ?)", [sha256, at]
        )

    def forget_blob(self, sha256: str) -> None:
        """Forget a completed upload (central said it is missing after all)."""
        self.db.execute("DELETE FROM blob_uploads WHERE sha256 = ?", [sha256])

    # Feed

    def entry_applied(self, entry_id: str) -> bool:
        """Tell whether a feed entry was applied before."""
        return (
            self.db.execute("SELECT 1 FROM feed_applied WHERE entry_id = ?", [entry_id]).fetchone()
            is not None
        )

    def mark_entry_applied(
        self, entry_id: str, seq: int, kind: str, issued_at: str, at: str
    ) -> None:
        """Remember that a feed entry was applied."""
        self.db.execute(
            "INSERT OR IGNORE INTO feed_applied (entry_id, seq, kind, issued_at, applied_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [entry_id, seq, kind, issued_at, at],
        )

    def add_feed_problem(
        self, digest: str, seq: int, kind: str, code: str, message: str, at: str
    ) -> None:
        """Record a feed entry that was not applied (once per entry)."""
        self.db.execute(
            "INSERT OR IGNORE INTO feed_problems (digest, seq, kind, code, message, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [digest, seq, kind, code, message[:1000], at],
        )

    def feed_problems(self) -> list[dict[str, Any]]:
        """Return the feed entries that were not applied, newest first."""
        return list(
            self.db.query("SELECT * FROM feed_problems ORDER BY at DESC, seq DESC LIMIT 200")
        )

    def acknowledge_feed_problems(self, username: str, at: str) -> int:
        """Mark every open feed problem as seen by an admin; return how many there were."""
        cursor = self.db.execute(
            "UPDATE feed_problems SET acknowledged_at = ?, acknowledged_by = ?"
            " WHERE acknowledged_at IS NULL",
            [at, username],
        )
        return cursor.rowcount

    def count_applied(self) -> int:
        """Return how many feed entries were applied."""
        return self.db.execute("SELECT COUNT(*) FROM feed_applied").fetchone()[0]

    def calendar_version(self, year: int) -> int | None:
        """Return the installed calendar version of a year."""
        row = self.db.execute(
            "SELECT version FROM calendar_years WHERE year = ?", [year]
        ).fetchone()
        return row[0] if row else None

    def event_exists(self, event_id: str) -> bool:
        """Tell whether the log holds an event."""
        return (
            self.db.execute("SELECT 1 FROM events WHERE event_id = ?", [event_id]).fetchone()
            is not None
        )
