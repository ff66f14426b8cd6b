"""A sync-level fake of the central server for device tests: same envelopes, no HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sync import feed, stages
from sync.agency import make_device_certificate
from sync.bundle import Receipt, make_receipt, read_bundle
from sync.client import ApiError, Offline
from sync.events import Event, format_time, new_event, utc_now
from sync.signing import (
    BUNDLE_TYPE,
    Envelope,
    SigningKey,
    b64decode,
    b64encode,
    strict_loads,
    verify_envelope,
)
from township_app.device_sync import devices
from township_app.stores.store import Store


class FakeCentral:
    """Holds bundles by sequence, blobs by hash and a feed; answers as the API does."""

    def __init__(self, key: SigningKey | None = None) -> None:
        self.key = key or SigningKey.generate()
        self.device_keys: dict[str, bytes] = {}
        self.bundles: dict[int, tuple[str, dict[str, Any]]] = {}  # sequence → (hash, receipt)
        self.sent: list[bytes] = []
        self.blobs: dict[str, bytearray] = {}
        self.blob_sizes: dict[str, int] = {}
        self.feed_entries: list[dict[str, Any]] = []
        self.offline = False
        self.refuse: dict[int, str] = {}  # sequence → error code to answer once
        self.rejected: dict[str, str] = {}  # event id → reason
        self.cut_after_chunks: int | None = None
        self.chunks = 0
        self.batches: list[list[str]] = []  # the blobs of each batch that arrived
        self.batch_calls = 0
        self.batch_fault: str | None = None  # "not_found" (an older central), "cut" (every batch)
        self.central_seq = 0

    # Calls of the client

    def enroll(self, envelope: dict[str, Any]) -> dict[str, Any]:
        self._up()
        payload = strict_loads(b64decode(envelope["payload"], "payload"))
        public = b64decode(payload["public_key"], "public_key")
        kid = hashlib.sha256(public).hexdigest()
        self.device_keys[kid] = public
        return {
            "device_id": payload["device_id"],
            "device_code": payload["device_code"],
            "org_code": payload["org_code"],
            "key_id": kid,
            "central_public_key": b64encode(self.key.public_bytes),
            "central_key_id": self.key.key_id,
            "device_certificate": make_device_certificate(
                self.key,
                device_id=payload["device_id"],
                org_code=payload["org_code"],
                public_key=public,
                issued_at="2026-11-01T00:00:00.000Z",
            ).to_dict(),
            "server_time": 0,
        }

    def push_bundles(self, envelopes: Sequence[bytes]) -> list[dict[str, Any]]:
        self._up()
        self.sent.extend(envelopes)
        return [self._ingest(raw) for raw in envelopes]

    def start_blob(self, sha256: str, size: int, media_type: str) -> dict[str, Any]:
        self._up()
        self.blobs.setdefault(sha256, bytearray())
        self.blob_sizes[sha256] = size
        return self._blob(sha256)

    def create_blob(
        self, sha256: str, size: int, media_type: str, first_chunk: bytes
    ) -> dict[str, Any]:
        status = self.start_blob(sha256, size, media_type)
        if status["complete"] or status["offset"] or not first_chunk:
            return status
        return self.send_chunk(sha256, 0, first_chunk)

    def send_blob_batch(
        self, blobs: Sequence[tuple[dict[str, Any], bytes]]
    ) -> list[dict[str, Any]]:
        self._up()
        self.batch_calls += 1
        if self.batch_fault == "not_found":
            raise ApiError(404, stages.NOT_FOUND, "没有这个地址", {})
        if self.batch_fault == "cut":
            raise Offline("ConnectionError")  # cut on the way up: nothing arrived
        results = []
        for attachment, data in blobs:
            sha256 = attachment["sha256"]
            if hashlib.sha256(data).hexdigest() != sha256:
                error = {"code": stages.BLOB_HASH_MISMATCH, "message": "摘要不符"}
                results.append({"sha256": sha256, "status": "refused", "error": error})
                continue
            self.blobs[sha256], self.blob_sizes[sha256] = bytearray(data), len(data)
            results.append({"sha256": sha256, "status": "complete"})
        self.batches.append([a["sha256"] for a, _ in blobs])
        return results

    def clone(self) -> FakeCentral:
        return self  # one fake server; its calls are quick enough to need no lock here

    def blob_status(self, sha256: str) -> dict[str, Any]:
        return self._blob(sha256)

    def send_chunk(self, sha256: str, offset: int, chunk: bytes) -> dict[str, Any]:
        self._up()
        held = self.blobs[sha256]
        if offset != len(held):
            raise ApiError(409, stages.OFFSET_MISMATCH, "", {"offset": len(held)})
        held.extend(chunk)
        self.chunks += 1
        if self.cut_after_chunks is not None and self.chunks >= self.cut_after_chunks:
            self.cut_after_chunks = None
            raise Offline("ConnectionError")  # stored, but the answer is lost
        return self._blob(sha256)

    def feed(self, after: int, limit: int = 200) -> dict[str, Any]:
        self._up()
        page = [e for e in self.feed_entries if e["seq"] > after][:limit]
        cursor = page[-1]["seq"] if page else after
        more = any(e["seq"] > cursor for e in self.feed_entries)
        return {"entries": page, "cursor": cursor, "more": more, "server_time": 0}

    def me(self) -> dict[str, Any]:
        self._up()
        return {}

    def close(self) -> None:
        pass

    # Helpers for tests

    def publish(self, kind: str, body: dict[str, Any], *, scope: str = "*", key=None) -> int:
        """Sign and add a feed entry; return its seq."""
        envelope = feed.make_feed_entry(
            key or self.key, kind=kind, scope=scope, issued_at=format_time(utc_now()), body=body
        )
        self.central_seq += 1
        seq = len(self.feed_entries) + 1
        self.feed_entries.append({"seq": seq, "envelope": envelope.to_dict()})
        return seq

    def decide(self, case_id: str, *, prev_hash: str, outcome: str = "approved") -> Event:
        """Write a central `decided` event and publish it."""
        self.central_seq += 1
        event = new_event(
            case_id=case_id,
            writer="central",
            writer_seq=self.central_seq,
            prev_hash=prev_hash,
            actor="county-reviewer",
            type="decided",
            payload={
                "outcome": outcome,
                "document_number": "芝民〔2026〕1号",
                "reasons": "",
                "by_org": "370613",
            },
            at=utc_now(),
        )
        self.publish(feed.EVENT, feed.event_body(event, "0" * 64), scope="370613004")
        return event

    def _up(self) -> None:
        if self.offline:
            raise Offline("ConnectionError")

    def _blob(self, sha256: str) -> dict[str, Any]:
        size = self.blob_sizes[sha256]
        held = len(self.blobs[sha256])
        return {"sha256": sha256, "size": size, "offset": held, "complete": held == size}

    def _ingest(self, raw: bytes) -> dict[str, Any]:
        envelope = Envelope.from_json(raw)
        bundle = read_bundle(verify_envelope(envelope, BUNDLE_TYPE, self.device_keys))
        digest = envelope.digest
        if bundle.sequence in self.bundles and self.bundles[bundle.sequence][0] == digest:
            receipt = self.bundles[bundle.sequence][1]
            return {
                "status": "duplicate",
                "bundle_hash": digest,
                "sequence": bundle.sequence,
                "receipt": receipt,
            }
        code = self.refuse.pop(bundle.sequence, None)
        if code:
            return {
                "status": "refused",
                "bundle_hash": digest,
                "error": {"code": code, "message": "测试拒收"},
            }
        expected = max(self.bundles, default=0) + 1
        if bundle.sequence != expected:
            return {
                "status": "refused",
                "bundle_hash": digest,
                "expected_sequence": expected,
                "error": {"code": stages.SEQUENCE_GAP, "message": "序号不连续"},
            }
        missing = [
            a.sha256 for a in bundle.attachments if len(self.blobs.get(a.sha256, b"")) != a.size
        ]
        if missing:
            return {
                "status": "refused",
                "bundle_hash": digest,
                "missing": missing,
                "error": {"code": stages.ATTACHMENTS_MISSING, "message": "缺少附件"},
            }
        rejected = tuple(
            (e.event_id, self.rejected[e.event_id])
            for e in bundle.events
            if e.event_id in self.rejected
        )
        receipt = make_receipt(
            self.key,
            Receipt(
                bundle.bundle_id,
                digest,
                bundle.device_id,
                bundle.sequence,
                format_time(utc_now()),
                rejected,
            ),
        ).to_dict()
        self.bundles[bundle.sequence] = (digest, receipt)
        return {
            "status": "accepted",
            "bundle_hash": digest,
            "sequence": bundle.sequence,
            "receipt": receipt,
        }


def enroll_with(store: Store, home: Path, central: FakeCentral) -> None:
    """Enroll the demo PC with the fake central."""
    devices.enroll(store, home, server_url="http://central.test", code="ABCD-1234", client=central)
