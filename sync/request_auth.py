"""Signed device requests: every call a device makes to the central API carries its key's signature.

The signature covers the method, the path with its query, the SHA-256 of the body, the device's
timestamp and a fresh nonce, so a request can be neither altered nor replayed. The server accepts a
timestamp within a window around its own clock and remembers nonces for that window.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sync.errors import N_, InvalidInput
from sync.signing import SigningKey, b64decode, b64encode

DEVICE_HEADER = "X-Bianmin-Device"
KEY_HEADER = "X-Bianmin-Key"
TIME_HEADER = "X-Bianmin-Time"
NONCE_HEADER = "X-Bianmin-Nonce"
SIGNATURE_HEADER = "X-Bianmin-Signature"
HEADERS = (DEVICE_HEADER, KEY_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER)

_PREFIX = b"BIANMIN-REQUEST-V1"


@dataclass(frozen=True)
class SignedRequest:
    """The authentication fields of one device request, as read from its headers."""

    device_id: str
    key_id: str
    timestamp: int
    nonce: str
    signature: bytes


def request_message(method: str, path: str, body: bytes, timestamp: int, nonce: str) -> bytes:
    """Return the exact bytes a device signs for one request."""
    return b"\n".join(
        (
            _PREFIX,
            method.upper().encode("ascii"),
            path.encode("utf-8"),
            hashlib.sha256(body).hexdigest().encode("ascii"),
            str(timestamp).encode("ascii"),
            nonce.encode("ascii"),
        )
    )


def sign_request(
    key: SigningKey, device_id: str, method: str, path: str, body: bytes, timestamp: int
) -> dict[str, str]:
    """Return the headers that authenticate one request of a device."""
    nonce = secrets.token_hex(16)
    message = request_message(method, path, body, timestamp, nonce)
    return {
        DEVICE_HEADER: device_id,
        KEY_HEADER: key.key_id,
        TIME_HEADER: str(timestamp),
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: b64encode(key.private.sign(message)),
    }


def read_signed_request(headers: Mapping[str, str]) -> SignedRequest:
    """Read the authentication headers of a request, or refuse if any is missing or malformed."""
    values = {name: headers.get(name) for name in HEADERS}
    if any(not value for value in values.values()):
        raise InvalidInput(N_("请求缺少设备签名。"), field="headers")
    timestamp_text = str(values[TIME_HEADER])
    nonce = str(values[NONCE_HEADER])
    if not (timestamp_text.isascii() and timestamp_text.isdigit()) or len(timestamp_text) > 12:
        raise InvalidInput(N_("请求时间格式不正确。"), field=TIME_HEADER)
    if not 16 <= len(nonce) <= 64 or nonce.strip("0123456789abcdef"):
        raise InvalidInput(N_("请求随机数格式不正确。"), field=NONCE_HEADER)
    return SignedRequest(
        device_id=str(values[DEVICE_HEADER]),
        key_id=str(values[KEY_HEADER]),
        timestamp=int(timestamp_text),
        nonce=nonce,
        signature=b64decode(values[SIGNATURE_HEADER], SIGNATURE_HEADER),
    )
