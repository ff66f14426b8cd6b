"""Enrollment and key rotation requests: what a device signs to be trusted, or to change its key.

Enrollment is signed by the new key itself (proof of possession) and bound to a one-time code that
an admin issued for one org unit. Rotation is signed by the old and the new key together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.errors import N_, InvalidInput
from sync.events import canonical_bytes
from sync.signing import ENROLLMENT_TYPE, ROTATION_TYPE, Envelope, SigningKey, b64decode, b64encode

_ENROLL_KEYS = {"code", "device_id", "device_code", "org_code", "public_key", "label", "at"}
_ROTATE_KEYS = {"device_id", "old_key_id", "new_public_key", "at"}


@dataclass(frozen=True)
class EnrollmentRequest:
    """A device's request to be enrolled, as signed by its new key."""

    code: str
    device_id: str
    device_code: str
    org_code: str
    public_key: bytes
    label: str
    at: str


@dataclass(frozen=True)
class RotationRequest:
    """A device's request to replace its key, signed by both keys."""

    device_id: str
    old_key_id: str
    new_public_key: bytes
    at: str


def make_enrollment_request(key: SigningKey, request: EnrollmentRequest) -> Envelope:
    """Sign an enrollment request with the key being enrolled."""
    payload = {
        "code": request.code,
        "device_id": request.device_id,
        "device_code": request.device_code,
        "org_code": request.org_code,
        "public_key": b64encode(key.public_bytes),
        "label": request.label,
        "at": request.at,
    }
    return key.sign(ENROLLMENT_TYPE, canonical_bytes(payload))


def read_enrollment_request(payload: Any) -> EnrollmentRequest:
    """Check the shape of an enrollment payload (after its signature was verified)."""
    if not isinstance(payload, Mapping) or set(payload) != _ENROLL_KEYS:
        raise InvalidInput(N_("注册申请格式不正确。"), field="enrollment")
    if any(not isinstance(payload[k], str) for k in _ENROLL_KEYS):
        raise InvalidInput(N_("注册申请格式不正确。"), field="enrollment")
    return EnrollmentRequest(
        code=payload["code"].strip(),
        device_id=payload["device_id"],
        device_code=payload["device_code"],
        org_code=payload["org_code"],
        public_key=b64decode(payload["public_key"], "public_key"),
        label=payload["label"][:100],
        at=payload["at"],
    )


def enrollment_public_key(envelope: Envelope) -> bytes:
    """Return the public key an enrollment request claims (to verify the request against it)."""
    from sync.signing import strict_loads

    payload = strict_loads(envelope.payload)
    if not isinstance(payload, Mapping):
        raise InvalidInput(N_("注册申请格式不正确。"), field="enrollment")
    return b64decode(payload.get("public_key"), "public_key")


def make_rotation_request(old: SigningKey, new: SigningKey, device_id: str, at: str) -> Envelope:
    """Sign a rotation from ``old`` to ``new`` with both keys."""
    payload = {
        "device_id": device_id,
        "old_key_id": old.key_id,
        "new_public_key": b64encode(new.public_bytes),
        "at": at,
    }
    return new.cosign(old.sign(ROTATION_TYPE, canonical_bytes(payload)))


def read_rotation_request(payload: Any) -> RotationRequest:
    """Check the shape of a rotation payload."""
    if not isinstance(payload, Mapping) or set(payload) != _ROTATE_KEYS:
        raise InvalidInput(N_("密钥更换申请格式不正确。"), field="rotation")
    if any(not isinstance(payload[k], str) for k in _ROTATE_KEYS):
        raise InvalidInput(N_("密钥更换申请格式不正确。"), field="rotation")
    return RotationRequest(
        device_id=payload["device_id"],
        old_key_id=payload["old_key_id"],
        new_public_key=b64decode(payload["new_public_key"], "new_public_key"),
        at=payload["at"],
    )
