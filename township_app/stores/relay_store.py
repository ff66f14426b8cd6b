"""Every SQL statement of the USB relay at the township: village PCs' certificates, chain heads, the
bundles they sent on a stick (kept verbatim until central's receipt comes back), and that receipt.

It works on the township store's connection and inside its ``write()`` transactions, so a relayed
bundle, the events it applied here and the village's head commit together.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from township_app.stores.store import Store


class RelayStore:
    """Relay bookkeeping of this township PC, on the township store's connection."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    def relay_device(self, device_id: str) -> dict[str, Any] | None:
        """Return a village PC's certificate and chain heads as this PC knows them."""
        rows = list(self.db.query("SELECT * FROM relay_devices WHERE device_id = ?", [device_id]))
        return rows[0] if rows else None

    def relay_devices(self, org_code: str = "") -> list[dict[str, Any]]:
        """Return the village PCs this township relays for (of one village, or all)."""
        sql = "SELECT * FROM relay_devices"
        params: list[Any] = []
        if org_code:
            sql += " WHERE org_code = ?"
            params.append(org_code)
        return list(self.db.query(sql + " ORDER BY org_code, device_id", params))

    def save_relay_device(self, row: Mapping[str, Any]) -> None:
        """Insert or move a village PC's certificate and heads."""
        self.db.execute(
            "INSERT INTO relay_devices (device_id, org_code, key_id, certificate, last_sequence,"
            " last_bundle_hash, last_writer_seq, last_event_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (device_id) DO UPDATE SET org_code = excluded.org_code,"
            " key_id = excluded.key_id, certificate = excluded.certificate,"
            " last_sequence = excluded.last_sequence, last_bundle_hash = excluded.last_bundle_hash,"
            " last_writer_seq = excluded.last_writer_seq, last_event_hash = excluded.last_event_hash",
            [
                row["device_id"],
                row["org_code"],
                row["key_id"],
                row["certificate"],
                row["last_sequence"],
                row["last_bundle_hash"],
                row["last_writer_seq"],
                row["last_event_hash"],
            ],
        )

    def has_bundle(self, bundle_hash: str) -> bool:
        """Tell whether a bundle was relayed here before."""
        return (
            self.db.execute(
                "SELECT 1 FROM relay_bundles WHERE bundle_hash = ?", [bundle_hash]
            ).fetchone()
            is not None
        )

    def add_bundle(self, row: Mapping[str, Any]) -> None:
        """Keep a village bundle's exact bytes to relay to central."""
        self.db.execute(
            "INSERT INTO relay_bundles (device_id, sequence, bundle_hash, org_code, attachments,"
            " envelope, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                row["device_id"],
                row["sequence"],
                row["bundle_hash"],
                row["org_code"],
                json.dumps(row["attachments"]),
                row["envelope"],
                row["imported_at"],
            ],
        )

    def waiting(self, limit: int, columns: str = "*") -> list[dict[str, Any]]:
        """Return the relayed bundles still to go up, by device and sequence."""
        return list(
            self.db.query(
                f"SELECT {columns} FROM relay_bundles WHERE status = 'waiting'"
                " ORDER BY device_id, sequence LIMIT ?",
                [limit],
            )
        )

    def mark_done(self, bundle_hash: str, receipt: bytes, at: str) -> None:
        """Keep central's receipt for a relayed bundle (it goes back to the village)."""
        self.db.execute(
            "UPDATE relay_bundles SET status = 'done', receipt = ?, done_at = ?, error_code = '',"
            " error_message = '' WHERE bundle_hash = ?",
            [receipt, at, bundle_hash],
        )

    def mark_refused(self, bundle_hash: str, code: str, message: str) -> None:
        """Record that central refused a relayed bundle (the village learns it from its own push)."""
        self.db.execute(
            "UPDATE relay_bundles SET status = 'refused', error_code = ?, error_message = ?"
            " WHERE bundle_hash = ? AND status = 'waiting'",
            [code, message[:1000], bundle_hash],
        )

    def note_attempt(self, bundle_hash: str, code: str, message: str) -> None:
        """Remember why a relayed bundle still waits."""
        self.db.execute(
            "UPDATE relay_bundles SET error_code = ?, error_message = ? WHERE bundle_hash = ?",
            [code, message[:1000], bundle_hash],
        )

    def receipts(self, org_code: str = "") -> list[dict[str, Any]]:
        """Return central's receipts for relayed bundles (of one village, or all)."""
        sql = "SELECT device_id, sequence, receipt FROM relay_bundles WHERE status = 'done'"
        params: list[Any] = []
        if org_code:
            sql += " AND org_code = ?"
            params.append(org_code)
        return list(self.db.query(sql + " ORDER BY device_id, sequence", params))

    def refused_bundles(self) -> list[dict[str, Any]]:
        """Return the relayed bundles central refused, with its code and message."""
        return list(
            self.db.query(
                "SELECT org_code, device_id, sequence, error_code, error_message FROM relay_bundles"
                " WHERE status = 'refused' ORDER BY org_code, sequence LIMIT 200"
            )
        )

    def counts(self) -> dict[str, int]:
        """Return how many relayed bundles are in each status."""
        return dict(
            self.db.execute("SELECT status, COUNT(*) FROM relay_bundles GROUP BY status").fetchall()
        )

    # Scans to fetch from central

    def want_blob(self, sha256: str, size: int, media_type: str) -> None:
        """Remember a scan named by another device's event that this PC does not hold."""
        self.db.execute(
            "INSERT OR IGNORE INTO blobs_wanted (sha256, size, media_type) VALUES (?, ?, ?)",
            [sha256, size, media_type],
        )

    def wanted_blobs(self, limit: int) -> list[dict[str, Any]]:
        """Return the scans still to fetch, fewest attempts first."""
        return list(
            self.db.query("SELECT * FROM blobs_wanted ORDER BY attempts, sha256 LIMIT ?", [limit])
        )

    def got_blob(self, sha256: str) -> None:
        """Forget a scan that is now held here."""
        self.db.execute("DELETE FROM blobs_wanted WHERE sha256 = ?", [sha256])

    def blob_attempt(self, sha256: str, error: str) -> None:
        """Count a failed fetch of a scan (tried again later, after the others)."""
        self.db.execute(
            "UPDATE blobs_wanted SET attempts = attempts + 1, last_error = ? WHERE sha256 = ?",
            [error[:200], sha256],
        )

    # Villages' feeds, carried down by stick

    def relay_villages(self) -> list[str]:
        """Return the villages whose bundles this township relayed."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT org_code FROM relay_devices")]

    def feed_cursor(self, org_code: str) -> int:
        """Return how far a village's feed was read."""
        row = self.db.execute(
            "SELECT cursor FROM relay_feed_cursors WHERE org_code = ?", [org_code]
        ).fetchone()
        return row[0] if row else 0

    def add_feed_page(self, org_code: str, entries: list[tuple[int, bytes]], cursor: int) -> None:
        """Keep a page of a village's feed and its new cursor (one transaction)."""
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO relay_feed (org_code, seq, envelope) VALUES (?, ?, ?)",
            [(org_code, seq, envelope) for seq, envelope in entries],
        )
        self.db.execute(
            "INSERT INTO relay_feed_cursors (org_code, cursor) VALUES (?, ?)"
            " ON CONFLICT (org_code) DO UPDATE SET cursor = excluded.cursor",
            [org_code, cursor],
        )

    def feed_entries(self, org_code: str = "") -> list[dict[str, Any]]:
        """Return the kept feed entries of one village (or all), in order."""
        sql = "SELECT org_code, seq, envelope FROM relay_feed"
        params: list[Any] = []
        if org_code:
            sql += " WHERE org_code = ?"
            params.append(org_code)
        return list(self.db.query(sql + " ORDER BY org_code, seq", params))
