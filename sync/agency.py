"""Village agency points (村代办点): what a village PC may write, and its device certificate.

A village PC is a device enrolled for a village (a 12-digit statistical division code). Its agent
applies on a resident's behalf: the case is registered with ``channel="village"``, ``org_code`` =
the township above (which accepts, holds and is accountable for the case and its clock) and
``agency_code`` = the village. The village may only take the steps of an applicant's side; every
window decision is the township's.

A village with no network sends its bundles on a USB stick to the township PC, which must verify
them without asking central: central hands each device a certificate of its key at enrollment and
rotation (``{device_id, org_code, key_id, public_key, issued_at}`` signed by the central key), and
the township checks it with the central key it pinned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync import events as ev
from sync.errors import N_, InvalidInput, NotAllowed
from sync.events import canonical_bytes
from sync.signing import Envelope, SigningKey, b64decode, b64encode, key_id, verify_envelope

DEVICE_CERTIFICATE_TYPE = "application/vnd.bianmin.device-certificate+json"

VILLAGE_CODE_LENGTH = 12
# What an agent may write on a case: the application, the supplement the applicant brings, the
# applicant's withdrawal, a re-examination request or complaint taken at the village, and the
# applicant's rating (一事一评, channel "agent").
VILLAGE_EVENT_TYPES = frozenset(
    {ev.REGISTERED, ev.SUPPLEMENT_RECEIVED, ev.WITHDRAWN, ev.PETITIONED, ev.RATED}
)

_CERTIFICATE_KEYS = {"device_id", "org_code", "key_id", "public_key", "issued_at"}


def is_village_code(code: object) -> bool:
    """Tell whether a division code names a village (or residents') committee: 12 digits."""
    return (
        isinstance(code, str)
        and len(code) == VILLAGE_CODE_LENGTH
        and code.isascii()
        and code.isdigit()
    )


def township_of(village_code: str) -> str:
    """Return the township code a village code belongs to (its first 9 digits, GB/T 2260 + 3)."""
    return village_code[:9]


def village_may_write(
    village_code: str, event_type: str, agency_code: object, org_code: object
) -> str:
    """Return "" if a village device may write this event on this case, else the reason why not.

    ``agency_code`` and ``org_code`` are the case's (from its REGISTERED payload or projection).
    """
    if event_type not in VILLAGE_EVENT_TYPES:
        return N_("村代办点只能登记申请、提交补正材料、撤回申请、登记复核投诉或记录评价。")
    if agency_code != village_code:
        return N_("村代办点只能处理本村（社区）代办的办件。")
    if event_type == ev.REGISTERED and org_code != township_of(village_code):
        return N_("村代办的申请必须由本村所属的乡镇（街道）受理。")
    return ""


def check_village_event(village_code: str, event: ev.Event, agency_code: object) -> None:
    """Refuse an event a village device may not write (used where the case is known)."""
    org_code = event.payload.get("org_code") if event.type == ev.REGISTERED else None
    if event.type == ev.REGISTERED:
        agency_code = event.payload.get("agency_code")
    reason = village_may_write(village_code, event.type, agency_code, org_code)
    if reason:
        raise NotAllowed(reason)


@dataclass(frozen=True)
class DeviceCertificate:
    """Central's word that a public key belongs to a device of an org unit."""

    device_id: str
    org_code: str
    key_id: str
    public_key: bytes
    issued_at: str

    @property
    def is_village(self) -> bool:
        """Tell whether the device sits at a village agency point."""
        return is_village_code(self.org_code)


def make_device_certificate(
    central_key: SigningKey, *, device_id: str, org_code: str, public_key: bytes, issued_at: str
) -> Envelope:
    """Sign a device's certificate with the central key."""
    payload = {
        "device_id": device_id,
        "org_code": org_code,
        "key_id": key_id(public_key),
        "public_key": b64encode(public_key),
        "issued_at": issued_at,
    }
    return central_key.sign(DEVICE_CERTIFICATE_TYPE, canonical_bytes(payload))


def read_device_certificate(raw: Any, central_keys: Mapping[str, bytes]) -> DeviceCertificate:
    """Verify a certificate envelope (bytes or parsed JSON) with the central key and return it."""
    envelope = Envelope.from_json(raw) if isinstance(raw, bytes) else Envelope.from_dict(raw)
    payload = verify_envelope(envelope, DEVICE_CERTIFICATE_TYPE, central_keys)
    if not isinstance(payload, Mapping) or set(payload) != _CERTIFICATE_KEYS:
        raise InvalidInput(N_("设备证书格式不正确。"), field="certificate")
    if any(not isinstance(payload[name], str) for name in _CERTIFICATE_KEYS):
        raise InvalidInput(N_("设备证书格式不正确。"), field="certificate")
    public = b64decode(payload["public_key"], "public_key")
    if len(public) != 32 or key_id(public) != payload["key_id"]:
        raise InvalidInput(N_("设备证书中的公钥与密钥编号不符。"), field="certificate")
    return DeviceCertificate(
        device_id=payload["device_id"],
        org_code=payload["org_code"],
        key_id=payload["key_id"],
        public_key=public,
        issued_at=payload["issued_at"],
    )
