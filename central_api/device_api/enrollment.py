"""Devices and their keys: one-time enrollment codes, enrollment, key rotation and revocation."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson

from central_api.errors import Refusal
from central_api.review import publish
from central_api.stores import public_address_store
from central_api.stores.store import CentralStore
from sync import feed, stages
from sync.agency import make_device_certificate
from sync.enrollment import enrollment_public_key, read_enrollment_request, read_rotation_request
from sync.errors import DomainError, InvalidInput
from sync.events import GENESIS_HASH, format_time, parse_time
from sync.signing import (
    ENROLLMENT_TYPE,
    ROTATION_TYPE,
    BadSignature,
    Envelope,
    SigningKey,
    b64encode,
    key_id,
    verify_envelope,
)

# Crockford's base32 without I, L, O, U: nothing a person reading a code aloud can confuse.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DEVICE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DEVICE_CODE = re.compile(r"^[A-Z0-9]{2,4}$")


def normalize_code(code: str) -> str:
    """Return a code as compared: capitals, without the dashes and spaces people add."""
    return re.sub(r"[\s-]", "", code).upper()


def code_hash(code: str) -> str:
    """Return the stored form of an enrollment code (only its hash is kept)."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def issue_code(
    store: CentralStore, org_code: str, *, hours: int, created_by: str, now: datetime
) -> str:
    """Issue a one-time enrollment code for an org unit and return it (shown once, never stored)."""
    if hours < 1:
        raise InvalidInput("有效期至少为 1 小时。", field="hours")
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    with store.transaction() as c:
        if store.org_unit(c, org_code) is None:
            raise InvalidInput(f"组织机构中没有 {org_code}。", field="org_code")
        store.add_enrollment_code(
            c,
            {
                "code_hash": code_hash(code),
                "org_code": org_code,
                "created_by": created_by,
                "created_at": format_time(now),
                "expires_at": format_time(now + timedelta(hours=hours)),
            },
        )
    return code


def device_certificate(
    central_key: SigningKey, device: Mapping[str, Any], key: Mapping[str, Any]
) -> dict[str, Any]:
    """Return central's signed certificate of a device's key (a township checks a village's
    bundles from a USB stick with it, offline); the same key gives the same bytes every time."""
    return make_device_certificate(
        central_key,
        device_id=device["device_id"],
        org_code=device["org_code"],
        public_key=bytes(key["public_key"]),
        issued_at=key["created_at"],
    ).to_dict()


def _enrollment_answer(
    device: Mapping[str, Any],
    key: Mapping[str, Any],
    central_key: SigningKey,
    now: datetime,
    public_address: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "public_address": public_address,
        "device_id": device["device_id"],
        "device_code": device["device_code"],
        "org_code": device["org_code"],
        "key_id": key["key_id"],
        "central_public_key": b64encode(central_key.public_bytes),
        "central_key_id": central_key.key_id,
        "device_certificate": device_certificate(central_key, device, key),
        "server_time": int(now.timestamp()),
    }


def read_envelope(raw: Any, expected_type: str) -> Envelope:
    """Parse a signed envelope from a request body, refusing a malformed one or another type."""
    try:
        envelope = Envelope.from_dict(raw)
    except InvalidInput:
        raise Refusal(stages.MALFORMED_ENVELOPE, "签名信封格式不正确。") from None
    if envelope.payload_type != expected_type:
        raise Refusal(stages.WRONG_PAYLOAD_TYPE, "签名内容类型不符。")
    return envelope


def enroll(store: CentralStore, central_key: SigningKey, raw: Any, now: datetime) -> dict[str, Any]:
    """Enroll a device from its signed request (proof of possession plus a one-time code)."""
    envelope = read_envelope(raw, ENROLLMENT_TYPE)
    try:
        claimed = enrollment_public_key(envelope)
        kid = key_id(claimed)
        payload = verify_envelope(envelope, ENROLLMENT_TYPE, {kid: claimed})
    except BadSignature:
        raise Refusal(stages.BAD_SIGNATURE, "注册申请的签名与其中的公钥不符。") from None
    except (InvalidInput, ValueError):
        raise Refusal(stages.MALFORMED_PAYLOAD, "注册申请格式不正确。") from None
    try:
        request = read_enrollment_request(payload)
    except DomainError as error:
        raise Refusal(stages.MALFORMED_PAYLOAD, error.message) from None
    if not _DEVICE_ID.match(request.device_id) or not _DEVICE_CODE.match(request.device_code):
        raise Refusal(stages.MALFORMED_PAYLOAD, "设备编号或设备代码格式不正确。")
    hashed = code_hash(request.code)
    at = format_time(now)
    with store.transaction() as c:
        code = store.enrollment_code(c, hashed)
        if code and code["used_at"] and code["device_id"] == request.device_id:
            # The same request again after a lost answer: the same answer, nothing new.
            device = store.device(c, request.device_id)
            known = store.key(c, kid)
            if device and known and known["device_id"] == device["device_id"]:
                return _enrollment_answer(device, known, central_key, now, _public_address(c))
        invalid = (
            code is None
            or code["used_at"] is not None
            or parse_time(code["expires_at"]) <= now
            or code["org_code"] != request.org_code
        )
        if invalid:
            raise Refusal(
                stages.ENROLLMENT_CODE_INVALID,
                "注册码无效：不存在、已使用、已过期，或不属于该单位。请向管理员重新申请。",
            )
        if store.device(c, request.device_id) or store.key(c, kid):
            raise Refusal(stages.ENROLLMENT_CONFLICT, "该设备编号或密钥已经注册过。")
        if store.device_code_taken(c, request.org_code, request.device_code):
            raise Refusal(
                stages.ENROLLMENT_CONFLICT,
                f"本单位已有设备代码 {request.device_code}，请换一个设备代码。",
                device_code_taken=True,
            )
        device = {
            "device_id": request.device_id,
            "device_code": request.device_code,
            "org_code": request.org_code,
            "label": request.label,
            "status": "active",
            "enrolled_at": at,
            "last_sequence": 0,
            "last_bundle_hash": GENESIS_HASH,
            "last_writer_seq": 0,
            "last_event_hash": GENESIS_HASH,
            "status_reason": "",
        }
        store.add_device(c, device)
        key = {
            "key_id": kid,
            "device_id": request.device_id,
            "public_key": request.public_key,
            "created_at": at,
        }
        store.add_key(c, key)
        store.use_enrollment_code(c, hashed, request.device_id, at)
        public_address = _public_address(c)
    return _enrollment_answer(device, key, central_key, now, public_address)


def _public_address(c: Any) -> dict[str, Any] | None:
    # The newest signed public address entry: a new PC prints the right progress address on its
    # first receipt, before its first feed pull.
    envelope = public_address_store.newest_envelope(c)
    return None if envelope is None else orjson.loads(envelope)


def rotate_key(
    store: CentralStore,
    central_key: SigningKey,
    device: Mapping[str, Any],
    signer: str,
    raw: Any,
    now: datetime,
) -> dict[str, Any]:
    """Replace a device's key with a new one, on a request signed by the old and the new key."""
    envelope = read_envelope(raw, ROTATION_TYPE)
    try:
        from sync.signing import strict_loads

        claimed = read_rotation_request(strict_loads(envelope.payload))
    except (InvalidInput, ValueError):
        raise Refusal(stages.MALFORMED_PAYLOAD, "密钥更换申请格式不正确。") from None
    if claimed.device_id != device["device_id"] or claimed.old_key_id != signer:
        raise Refusal(stages.KEY_MISMATCH, "密钥更换申请与发出请求的设备或密钥不符。")
    new_id = key_id(claimed.new_public_key)
    at = format_time(now)
    with store.transaction() as c:
        old = store.key(c, signer)
        assert old is not None  # the request was authenticated by this key
        try:
            verify_envelope(
                envelope,
                ROTATION_TYPE,
                {signer: old["public_key"], new_id: claimed.new_public_key},
                require=(signer, new_id),
            )
        except BadSignature:
            raise Refusal(stages.BAD_SIGNATURE, "密钥更换申请须由新旧两把密钥共同签名。") from None
        if store.key(c, new_id):
            raise Refusal(stages.ENROLLMENT_CONFLICT, "新密钥已经登记过。")
        key = {
            "key_id": new_id,
            "device_id": device["device_id"],
            "public_key": claimed.new_public_key,
            "created_at": at,
        }
        store.add_key(c, key)
        store.retire_keys(c, device["device_id"], at, keep=new_id)
    return {"key_id": new_id, "device_certificate": device_certificate(central_key, device, key)}


def revoke_device(
    store: CentralStore, central_key: SigningKey, device_id: str, reason: str, now: datetime
) -> dict[str, Any]:
    """Revoke a device: what it signs after its last stored bundle is quarantined, and every PC
    learns of it from the feed."""
    at = format_time(now)
    with store.transaction() as c:
        device = store.device(c, device_id, lock=True)
        if device is None:
            raise Refusal(stages.NOT_FOUND, f"没有设备 {device_id}。")
        if device["status"] == "revoked":
            return device
        store.update_device(
            c,
            device_id,
            status="revoked",
            revoked_at=at,
            revoked_after_sequence=device["last_sequence"],
            status_reason=reason,
        )
        body = {
            "device_id": device_id,
            "key_ids": [k["key_id"] for k in store.keys_of(c, device_id)],
            "last_valid_sequence": device["last_sequence"],
        }
        publish.append_entry(store, c, central_key, feed.REVOCATION, feed.EVERYONE, body, now)
        return store.device(c, device_id) or device
