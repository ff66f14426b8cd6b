"""Bundles up: pack this device's new events into signed bundles, upload their blobs, push them,
and keep central's signed receipts.

Each bundle is packed in one BEGIN IMMEDIATE transaction with the head it advances, and its exact
envelope bytes are kept: every retry sends those bytes, never a re-serialization. A bundle is marked
done only after its receipt verifies with the pinned central key and names its hash and sequence.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync import stages
from sync.bundle import attachments_of, make_bundle, read_receipt
from sync.client import CentralClient
from sync.errors import InvalidInput, NotAllowed
from sync.events import GENESIS_HASH, Event, format_time
from sync.signing import RECEIPT_TYPE, BadSignature, Envelope, SigningKey, verify_envelope
from township_app.device_sync.bundle_sender import BundleSender
from township_app.stores.store import Store
from township_app.stores.sync_store import SyncStore

log = logging.getLogger(__name__)

MAX_EVENTS = 500  # per bundle (protocol 13.8)
# Per request, in events: a drain goes up in several requests rather than one huge one, so that the
# PC records each answer's receipts while central checks the next request (and a cut link loses
# less). The first bundle always goes, however large.
BATCH_EVENTS = 4000


@dataclass
class PushResult:
    """What one push did."""

    accepted: int = 0
    duplicate: int = 0
    refused: int = 0
    waiting: list[str] = field(default_factory=list)  # retryable codes met


def pack_bundles(
    store: Store, key: SigningKey, *, now: datetime, max_events: int = MAX_EVENTS
) -> int:
    """Pack every event of this device not yet packed into bundles; return how many were made.

    Each bundle is read and signed outside the write lock (signing 500 events takes a while, and
    the push may be recording receipts meanwhile); the write then checks that the head it was
    made on is still the head, and stores the bundle and the new head in one transaction.
    """
    sync = store.sync
    made = 0
    while True:
        device = store.device()
        state = sync.state()
        if device is None or not state["enrolled_at"]:
            return made
        events = sync.events_to_pack(device["device_id"], state["packed_writer_seq"], max_events)
        if not events:
            return made
        catalogue = store.catalogue_version()
        row = _signed_bundle(
            key,
            device["device_id"],
            state["bundle_sequence"] + 1,
            state["bundle_hash"],
            catalogue["version"] if catalogue else "",
            events,
            now,
        )
        with store.write():
            head = sync.state()
            if (head["bundle_sequence"], head["packed_writer_seq"]) != (
                state["bundle_sequence"],
                state["packed_writer_seq"],
            ):
                continue  # another packer moved the head: make this bundle again on the new one
            sync.add_bundle(row)
        made += 1


def _signed_bundle(
    key: SigningKey,
    device_id: str,
    sequence: int,
    previous: str,
    catalogue_version: str,
    events: list[Event],
    now: datetime,
) -> dict[str, Any]:
    """Sign events as the bundle with this sequence and return its outbox row."""
    bundle_id = str(uuid.uuid4())
    attachments = attachments_of(events)
    envelope = make_bundle(
        key,
        device_id=device_id,
        sequence=sequence,
        previous=previous,
        catalogue_version=catalogue_version,
        created_at=format_time(now),
        events=events,
        bundle_id=bundle_id,
        attachments=attachments,
    )
    return {
        "sequence": sequence,
        "bundle_id": bundle_id,
        "bundle_hash": envelope.digest,
        "previous": previous,
        "key_id": key.key_id,
        "first_writer_seq": events[0].writer_seq,
        "last_writer_seq": events[-1].writer_seq,
        "event_count": len(events),
        "attachments": [
            {"sha256": a.sha256, "size": a.size, "media_type": a.media_type} for a in attachments
        ],
        "envelope": envelope.to_json(),
        "created_at": format_time(now),
    }


def resign_refused(store: Store, key: SigningKey, *, now: datetime) -> int:
    """Re-sign the first refused bundle and every one after it with the current key, keeping
    their sequences and events; return how many were re-signed."""
    sync = store.sync
    with store.write():
        device = store.device()
        refused = sync.refused_bundles()
        if device is None or not refused:
            return 0
        first = refused[0]["sequence"]
        before = sync.bundle(first - 1)
        previous = before["bundle_hash"] if before else GENESIS_HASH
        count = 0
        for row in sync.unacknowledged(from_sequence=first):
            events = sync.events_between(
                device["device_id"], row["first_writer_seq"], row["last_writer_seq"]
            )
            old = json.loads(Envelope.from_json(row["envelope"]).payload)
            signed = _signed_bundle(
                key,
                device["device_id"],
                row["sequence"],
                previous,
                old["catalogue_version"],
                events,
                now,
            )
            sync.replace_bundle(row["sequence"], signed)
            previous = signed["bundle_hash"]
            count += 1
        sync.update_state(bundle_hash=previous)
    log.info("re-signed %s bundles from sequence %s", count, first)
    return count


def push_bundles(
    store: Store,
    client: CentralClient,
    keys: Mapping[str, bytes],
    *,
    now: datetime,
    batch: int = 500,
) -> PushResult:
    """Send the waiting bundles in sequence order, in batches, and handle each result.

    The next batch goes up while the receipts of the last one are recorded here. To central that
    is one larger batch: it is sent after the last one was answered, so its bundles follow those
    in sequence. When handling stops at a bundle, the answers of the batch then in flight are
    dropped and its bundles go up again later: behind a refused bundle central refused them too (a
    sequence gap, which changes nothing), and what it did keep (behind a receipt this PC could not
    use) it answers again as "duplicate" with the same receipts.
    """
    sync = store.sync
    result = PushResult()
    device = store.device()
    if device is None:
        return result
    size = min(batch, 500)
    sender = BundleSender(client)
    try:
        bundles = _batch(sync, size, after=0)
        pending = sender.send(bundles)
        while pending is not None:
            answers = sender.answers(pending)
            following = _batch(sync, size, after=bundles[-1]["sequence"])
            pending = sender.send(following)
            # One local transaction for the whole answer: a receipt each costs a disk flush each
            # (hundreds per drain). A power cut before the commit loses only these marks; the
            # bundles then go up again and central answers "duplicate" with the same receipts.
            with store.write():
                for bundle, answer in zip(bundles, answers, strict=True):
                    if not _handle_result(
                        store, bundle, answer, keys, device["device_id"], now, result
                    ):
                        return result
            bundles = following
        return result
    finally:
        sender.close()


def merge_results(total: PushResult | None, more: PushResult | None) -> PushResult | None:
    """Add what one push did to what the round's pushes did so far (either may be None)."""
    if more is None:
        return total
    if total is None:
        return more
    total.accepted += more.accepted
    total.duplicate += more.duplicate
    total.refused += more.refused
    total.waiting += [code for code in more.waiting if code not in total.waiting]
    return total


# What the push needs of a waiting bundle besides its envelope, read for up to 500 bundles at a
# time: the envelopes (up to ~0.5 MB each) are read only for the bundles a request carries.
_SENDABLE = "sequence, bundle_hash, first_writer_seq, last_writer_seq, event_count, attachments"


def _batch(sync: SyncStore, size: int, *, after: int) -> list[dict[str, Any]]:
    """Return the next bundles that go up in one request, with their envelopes: waiting, after
    ``after``, scans held, at most ``size`` bundles and BATCH_EVENTS events (the first always)."""
    bundles = _scans_held(sync, sync.sendable(size, _SENDABLE, after=after))
    events = 0
    for index, bundle in enumerate(bundles):
        events += bundle["event_count"]
        if events > BATCH_EVENTS and index:
            bundles = bundles[:index]
            break
    if not bundles:
        return []
    envelopes = sync.envelopes(bundles[0]["sequence"], bundles[-1]["sequence"])
    return [{**bundle, "envelope": envelopes[bundle["sequence"]]} for bundle in bundles]


def _scans_held(sync: SyncStore, bundles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the leading bundles whose attachments central holds, as far as this PC knows.

    A bundle naming a scan not yet up would be refused (attachments_missing), and every later one
    with it: sending them costs central a signature check each for nothing, and while scans are
    still going up, that was most of the bundles packed. A scan central lost after all is still
    found out: it was marked complete here, so its bundle goes, and central names it missing.
    """
    manifests = [json.loads(bundle["attachments"]) for bundle in bundles]
    held = sync.completed_blobs(a["sha256"] for manifest in manifests for a in manifest)
    for index, manifest in enumerate(manifests):
        if any(a["sha256"] not in held for a in manifest):
            return bundles[:index]
    return bundles


def _handle_result(
    store: Store,
    bundle: Mapping[str, Any],
    answer: Any,
    keys: Mapping[str, bytes],
    device_id: str,
    now: datetime,
    result: PushResult,
) -> bool:
    """Handle one bundle's result; False when the bundles after it must wait."""
    sync = store.sync
    status = answer.get("status") if isinstance(answer, Mapping) else None
    if status in ("accepted", "duplicate"):
        if answer.get("bundle_hash") not in (None, bundle["bundle_hash"]):
            _count(store, bundle, "bad_receipt", "回执与案卷包不符")
            return False
        if not accept_receipt(store, bundle, answer.get("receipt"), keys, device_id, now=now):
            return False
        if status == "accepted":
            result.accepted += 1
        else:
            result.duplicate += 1
        return True
    error = answer.get("error") if isinstance(answer, Mapping) else None
    error = error if isinstance(error, Mapping) else {}
    code, message = str(error.get("code", "bad_answer")), str(error.get("message", ""))[:1000]
    if status == "refused" and code not in stages.RETRYABLE:
        with store.write():
            sync.refuse_bundle(bundle["sequence"], code, message)
        log.warning("bundle %s refused by central: %s", bundle["sequence"], code)
        result.refused += 1
        return False
    if code == stages.ATTACHMENTS_MISSING:
        with store.write():
            for sha256 in answer.get("missing") or []:
                sync.forget_blob(str(sha256))
    elif code == stages.SEQUENCE_GAP:
        log.warning(
            "bundle %s: central expects sequence %s",
            bundle["sequence"],
            answer.get("expected_sequence"),
        )
    _count(store, bundle, code, message)
    result.waiting.append(code)
    return False


def _count(store: Store, bundle: Mapping[str, Any], code: str, message: str) -> None:
    with store.write():
        store.sync.count_attempt(bundle["sequence"], code, message)


def accept_receipt(
    store: Store,
    bundle: Mapping[str, Any],
    raw: Any,
    keys: Mapping[str, bytes],
    device_id: str,
    *,
    now: datetime,
) -> bool:
    """Verify central's receipt for a bundle and, if it holds, mark the bundle done; True if so."""
    try:
        envelope = Envelope.from_json(raw) if isinstance(raw, bytes) else Envelope.from_dict(raw)
        receipt = read_receipt(verify_envelope(envelope, RECEIPT_TYPE, keys))
    except (BadSignature, InvalidInput, NotAllowed, KeyError, TypeError, ValueError) as error:
        log.warning("receipt for bundle %s not accepted: %s", bundle["sequence"], error)
        _count(store, bundle, "bad_receipt", "回执签名无效")
        return False
    if (
        receipt.bundle_hash != bundle["bundle_hash"]
        or receipt.sequence != bundle["sequence"]
        or receipt.device_id != device_id
    ):
        log.warning("receipt for bundle %s names another bundle", bundle["sequence"])
        _count(store, bundle, "bad_receipt", "回执与案卷包不符")
        return False
    with store.write():
        current = store.sync.bundle(bundle["sequence"])
        if current is None or current["status"] == "done":
            return True
        if current["bundle_hash"] != bundle["bundle_hash"]:
            return False  # re-signed meanwhile: this receipt answers bytes no longer kept
        store.sync.mark_bundle_done(
            bundle,
            device_id=device_id,
            receipt=envelope.to_json(),
            received_at=receipt.received_at,
            rejected=receipt.rejected_events,
            at=format_time(now),
        )
    return True
