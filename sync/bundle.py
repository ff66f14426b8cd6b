"""Case bundles: a device's new events, signed as one DSSE envelope, and the central receipt for it.

A bundle's signed payload names the device, its key, the device's bundle sequence (exactly +1 each
time), the SHA-256 of the previous bundle's payload, the catalogue version, the events and the manifest
of the attachments they mention. Attachments never travel inside a bundle.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sync.errors import N_, InvalidInput
from sync.events import GENESIS_HASH, Event, canonical_bytes
from sync.signing import BUNDLE_TYPE, RECEIPT_TYPE, Envelope, SigningKey

FORMAT = 1
_BUNDLE_KEYS = {
    "format",
    "bundle_id",
    "device_id",
    "key_id",
    "sequence",
    "previous",
    "catalogue_version",
    "created_at",
    "events",
    "attachments",
}
_ATTACHMENT_KEYS = {"sha256", "size", "media_type"}
_RECEIPT_KEYS = {
    "bundle_id",
    "bundle_hash",
    "device_id",
    "sequence",
    "received_at",
    "rejected_events",
}


@dataclass(frozen=True)
class Attachment:
    """One blob named by a bundle: its hash, size and media type."""

    sha256: str
    size: int
    media_type: str


@dataclass(frozen=True)
class CaseBundle:
    """The parsed, signed content of a bundle."""

    bundle_id: str
    device_id: str
    key_id: str
    sequence: int
    previous: str
    catalogue_version: str
    created_at: str
    events: tuple[Event, ...]
    attachments: tuple[Attachment, ...]


def attachments_of(events: Sequence[Event]) -> list[Attachment]:
    """Return the distinct attachments that a list of events mentions, in first-mention order."""
    seen: dict[str, Attachment] = {}
    for event in events:
        materials = event.payload.get("materials") or []
        for material in materials if isinstance(materials, list) else []:
            for entry in material.get("files", []) if isinstance(material, Mapping) else []:
                digest = entry.get("sha256")
                if isinstance(digest, str) and digest not in seen:
                    seen[digest] = Attachment(digest, int(entry["size"]), str(entry["media_type"]))
    return list(seen.values())


def make_bundle(
    key: SigningKey,
    *,
    device_id: str,
    sequence: int,
    previous: str,
    catalogue_version: str,
    created_at: str,
    events: Sequence[Event],
    bundle_id: str | None = None,
    attachments: Sequence[Attachment] | None = None,
) -> Envelope:
    """Pack and sign a device's events as the bundle with this sequence number.

    ``bundle_id`` (a new UUID by default) and ``attachments`` (``attachments_of(events)`` by
    default) may come from a caller that keeps them beside the bundle anyway.
    """
    if attachments is None:
        attachments = attachments_of(events)
    payload = {
        "format": FORMAT,
        "bundle_id": bundle_id or str(uuid.uuid4()),
        "device_id": device_id,
        "key_id": key.key_id,
        "sequence": sequence,
        "previous": previous,
        "catalogue_version": catalogue_version,
        "created_at": created_at,
        "events": [event.body() for event in events],
        "attachments": [
            {"sha256": a.sha256, "size": a.size, "media_type": a.media_type} for a in attachments
        ],
    }
    # The events were checked when they were written (``new_event``) and the other fields are
    # strings and integers made here: walking thousands of events again would double the cost.
    return key.sign(BUNDLE_TYPE, canonical_bytes(payload, checked=True))


def _str(raw: Mapping[str, Any], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value:
        raise InvalidInput(N_("案卷包字段 %(key)s 不正确。"), field=key, key=key)
    return value


def _hex64(value: Any, key: str) -> str:
    if not isinstance(value, str) or len(value) != 64 or value.strip("0123456789abcdef"):
        raise InvalidInput(N_("案卷包字段 %(key)s 不是 SHA-256 摘要。"), field=key, key=key)
    return value


def read_bundle(payload: Any) -> CaseBundle:
    """Check the shape of a verified bundle payload and return it, refusing anything malformed."""
    if not isinstance(payload, Mapping) or set(payload) != _BUNDLE_KEYS:
        raise InvalidInput(N_("案卷包字段不完整或有多余字段。"), field="bundle")
    if payload["format"] != FORMAT:
        raise InvalidInput(N_("不支持的案卷包格式版本：%(v)s"), field="format", v=payload["format"])
    sequence = payload["sequence"]
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise InvalidInput(N_("案卷包序号不正确。"), field="sequence")
    if not isinstance(payload["events"], list) or not isinstance(payload["attachments"], list):
        raise InvalidInput(N_("案卷包字段不完整或有多余字段。"), field="bundle")
    events = []
    for raw in payload["events"]:
        if not isinstance(raw, Mapping):
            raise InvalidInput(N_("案卷包中的事件格式不正确。"), field="events")
        event = Event.from_dict(raw)
        if not isinstance(event.writer_seq, int) or not isinstance(event.payload, Mapping):
            raise InvalidInput(N_("案卷包中的事件格式不正确。"), field="events")
        events.append(event)
    attachments = []
    for raw in payload["attachments"]:
        if not isinstance(raw, Mapping) or set(raw) != _ATTACHMENT_KEYS:
            raise InvalidInput(N_("附件清单格式不正确。"), field="attachments")
        size = raw["size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InvalidInput(N_("附件清单格式不正确。"), field="attachments")
        attachments.append(
            Attachment(_hex64(raw["sha256"], "sha256"), size, _str(raw, "media_type"))
        )
    previous = payload["previous"]
    return CaseBundle(
        bundle_id=_str(payload, "bundle_id"),
        device_id=_str(payload, "device_id"),
        key_id=_str(payload, "key_id"),
        sequence=sequence,
        previous=GENESIS_HASH if previous == GENESIS_HASH else _hex64(previous, "previous"),
        catalogue_version=_str(payload, "catalogue_version"),
        created_at=_str(payload, "created_at"),
        events=tuple(events),
        attachments=tuple(attachments),
    )


@dataclass(frozen=True)
class Receipt:
    """The central server's signed answer that it durably holds a bundle."""

    bundle_id: str
    bundle_hash: str
    device_id: str
    sequence: int
    received_at: str
    rejected_events: tuple[tuple[str, str], ...]  # (event id, reason) kept but not applied


def receipt_payload(receipt: Receipt) -> bytes:
    """Return a receipt's canonical payload bytes, as the central key signs them."""
    return canonical_bytes(
        {
            "bundle_id": receipt.bundle_id,
            "bundle_hash": receipt.bundle_hash,
            "device_id": receipt.device_id,
            "sequence": receipt.sequence,
            "received_at": receipt.received_at,
            "rejected_events": [{"event_id": e, "reason": r} for e, r in receipt.rejected_events],
        },
        checked=True,  # strings and an integer made by central
    )


def make_receipt(key: SigningKey, receipt: Receipt) -> Envelope:
    """Sign a receipt with the central key."""
    return key.sign(RECEIPT_TYPE, receipt_payload(receipt))


def read_receipt(payload: Any) -> Receipt:
    """Check the shape of a verified receipt payload and return it."""
    if not isinstance(payload, Mapping) or set(payload) != _RECEIPT_KEYS:
        raise InvalidInput(N_("回执格式不正确。"), field="receipt")
    rejected = payload["rejected_events"]
    if not isinstance(rejected, list):
        raise InvalidInput(N_("回执格式不正确。"), field="receipt")
    return Receipt(
        bundle_id=_str(payload, "bundle_id"),
        bundle_hash=_hex64(payload["bundle_hash"], "bundle_hash"),
        device_id=_str(payload, "device_id"),
        sequence=int(payload["sequence"]),
        received_at=_str(payload, "received_at"),
        rejected_events=tuple((str(r["event_id"]), str(r["reason"])) for r in rejected),
    )
