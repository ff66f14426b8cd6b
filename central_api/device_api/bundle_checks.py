"""Steps 1–2 of the bundle pipeline (docs/protocol.md 13.8): what needs no database.

Envelope shape, payload type, signature against a registered key, the strict parse and schema, the
signer check, and every event's hash — all before the ingest transaction takes any lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync import events as ev
from sync import stages
from sync.bundle import CaseBundle, read_bundle
from sync.errors import DomainError, InvalidInput
from sync.signing import (
    BUNDLE_TYPE,
    BadSignature,
    Envelope,
    strict_loads,
)
from sync.signing import check_signatures as check_envelope


@dataclass
class CheckedBundle:
    """A bundle whose signature verified and whose payload parsed."""

    index: int
    raw: bytes
    bundle_hash: str
    bundle: CaseBundle
    hashes: list[str]  # each event's hash, in order
    files: set[str]  # the SHA-256 of every file its events name


def refused(code: str, message: str, bundle_hash: str | None = None, **extra: Any) -> dict:
    result: dict[str, Any] = {"status": "refused"}
    if bundle_hash:
        result["bundle_hash"] = bundle_hash
    result["error"] = {"code": code, "message": message}
    result.update(extra)
    return result


def _check_shape(bundle: CaseBundle) -> None:
    """Refuse values wider than the schema's columns (PostgreSQL would refuse them) up front."""
    if len(bundle.bundle_id) > 36 or len(bundle.device_id) > 36 or len(bundle.created_at) > 32:
        raise InvalidInput("案卷包字段过长。", field="bundle")
    for event in bundle.events:
        # Spelled out rather than looped over names: ingest runs this for every event it takes.
        for name, value, limit in (
            ("event_id", event.event_id, 36),
            ("case_id", event.case_id, 36),
            ("writer", event.writer, 36),
            ("at", event.at, 32),
            ("type", event.type, 32),
        ):
            if value.__class__ is not str or not value or len(value) > limit:
                raise InvalidInput(f"事件字段 {name} 不正确。", field=name)
        if not isinstance(event.actor, str) or not isinstance(event.prev_hash, str):
            raise InvalidInput("事件字段不正确。", field="event")
        if isinstance(event.writer_seq, bool) or not isinstance(event.payload, Mapping):
            raise InvalidInput("事件字段不正确。", field="event")


def parse_envelope(raw: bytes) -> Envelope | dict[str, Any]:
    """Run step 1's envelope check: the envelope, or the refusal."""
    try:
        return Envelope.from_json(raw)
    except (InvalidInput, ValueError, TypeError, RecursionError):
        return refused(stages.MALFORMED_ENVELOPE, "签名信封格式不正确。")


def check_signature(
    envelope: Envelope, keys: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    """Run step 2's signature check on one parsed envelope: None if it verifies, else the refusal."""
    if envelope.payload_type != BUNDLE_TYPE:
        return refused(stages.WRONG_PAYLOAD_TYPE, "签名内容不是案卷包。", envelope.digest)
    signer = next((kid for kid, _ in envelope.signatures if kid in keys), None)
    if signer is None:
        return refused(stages.UNKNOWN_KEY, "签名密钥未在中心服务器登记。", envelope.digest)
    try:
        check_envelope(envelope, BUNDLE_TYPE, {signer: keys[signer]["public_key"]})
    except BadSignature:
        return refused(
            stages.BAD_SIGNATURE, "签名校验失败：数据被改动，或签名密钥不符。", envelope.digest
        )
    return None


def read_verified(
    index: int, raw: bytes, envelope: Envelope, keys: Mapping[str, Mapping[str, Any]]
) -> CheckedBundle | dict[str, Any]:
    """Run the rest of step 2 on an envelope whose signature verified: a checked bundle, or the
    refusal (strict parse, schema, event hashes, signer named in the bundle)."""
    bundle_hash = envelope.digest
    signer = next(kid for kid, _ in envelope.signatures if kid in keys)
    key = keys[signer]
    try:
        payload = strict_loads(envelope.payload)
    except InvalidInput as error:
        return refused(stages.MALFORMED_PAYLOAD, error.message, bundle_hash)
    try:
        bundle = read_bundle(payload)
        _check_shape(bundle)
        hashes = [_event_hash(event) for event in bundle.events]
    except (DomainError, TypeError, ValueError) as error:
        return refused(stages.MALFORMED_PAYLOAD, f"案卷包内容不正确：{error}", bundle_hash)
    if bundle.key_id != signer or bundle.device_id != key["device_id"]:
        return refused(stages.KEY_MISMATCH, "案卷包写明的设备或密钥与签名不符。", bundle_hash)
    return CheckedBundle(index, raw, bundle_hash, bundle, hashes, named_files(bundle))


def _event_hash(event: ev.Event) -> str:
    """Return an event's hash (``Event.hash``) without its float check: the strict parse of the
    signed payload already refused floats and oversized integers."""
    return hashlib.sha256(ev.canonical_bytes(event.body(), checked=True)).hexdigest()


def named_files(bundle: CaseBundle) -> set[str]:
    """Return the SHA-256 of every file the bundle's events name."""
    named: set[str] = set()
    for event in bundle.events:
        materials = event.payload.get("materials")
        for material in materials if isinstance(materials, list) else []:
            files = material.get("files") if isinstance(material, Mapping) else None
            for entry in files if isinstance(files, list) else []:
                if isinstance(entry, Mapping) and isinstance(entry.get("sha256"), str):
                    named.add(entry["sha256"])
    return named
