"""Ed25519 keys and DSSE envelopes: what a device or the central server signs, and how it is checked.

The signature covers the payload type and the exact payload bytes through DSSE's pre-authentication
encoding (PAE). A verifier checks the signature first and then parses exactly the signed bytes with a
strict parser: duplicate keys, NaN/Infinity, floats and integers beyond ±2^53 are refused, so no two
parsers can read the same bytes differently.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.errors import N_, DomainError, InvalidInput

BUNDLE_TYPE = "application/vnd.bianmin.case-bundle+json"
RECEIPT_TYPE = "application/vnd.bianmin.receipt+json"
FEED_ENTRY_TYPE = "application/vnd.bianmin.feed-entry+json"
ENROLLMENT_TYPE = "application/vnd.bianmin.enrollment+json"
ROTATION_TYPE = "application/vnd.bianmin.key-rotation+json"

MAX_SAFE_INTEGER = 2**53
# The deepest nesting of arrays and objects a payload may have: what orjson writes (the canonical
# form), so every value the parser returns can be written again. The schema's deepest is about 8.
MAX_DEPTH = 254
_MAX_INT_CHARS = len(str(-MAX_SAFE_INTEGER))  # a longer integer is out of range whatever it says


class BadSignature(DomainError):
    """A signature does not verify, or is made by a key that is unknown or not allowed here."""

    code = "bad_signature"


def pae(payload_type: str, payload: bytes) -> bytes:
    """Return DSSE v1's pre-authentication encoding of a payload type and payload."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public_key: bytes) -> str:
    """Return the id of an Ed25519 public key: the hex SHA-256 of its 32 raw bytes."""
    return hashlib.sha256(public_key).hexdigest()


def b64encode(data: bytes) -> str:
    """Encode bytes as standard base64 text."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: Any, what: str) -> bytes:
    """Decode standard base64 strictly, or refuse with a message naming the field."""
    if not isinstance(text, str):
        raise InvalidInput(N_("%(what)s 不是 base64 文本。"), field=what, what=what)
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidInput(N_("%(what)s 不是有效的 base64。"), field=what, what=what) from None


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with its public half and id."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        """Make a new key pair (on the machine that will keep it)."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_bytes(cls, raw: bytes) -> SigningKey:
        """Load a key from its 32 raw private bytes."""
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        """Return the 32 raw private bytes (store them protected)."""
        return self.private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    @property
    def public_bytes(self) -> bytes:
        """Return the 32 raw public bytes."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        """Return this key's id."""
        return key_id(self.public_bytes)

    def sign(self, payload_type: str, payload: bytes) -> Envelope:
        """Sign exactly these payload bytes and return the envelope."""
        signature = self.private.sign(pae(payload_type, payload))
        return Envelope(payload_type, payload, ((self.key_id, signature),))

    def cosign(self, envelope: Envelope) -> Envelope:
        """Add this key's signature to an envelope (key rotation: old and new key sign)."""
        signature = self.private.sign(pae(envelope.payload_type, envelope.payload))
        return Envelope(
            envelope.payload_type,
            envelope.payload,
            (*envelope.signatures, (self.key_id, signature)),
        )


def public_key(raw: bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from its 32 raw bytes, or refuse."""
    if len(raw) != 32:
        raise InvalidInput(N_("公钥长度不正确。"), field="public_key")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope: a payload type, the exact payload bytes and their signatures."""

    payload_type: str
    payload: bytes
    signatures: tuple[tuple[str, bytes], ...]

    def to_json(self) -> bytes:
        """Serialize the envelope as the JSON that travels and is stored verbatim."""
        # Sorted keys, no spaces, ASCII only (as json.dumps writes it). Base64 and the key ids of
        # our own envelopes are ASCII, so orjson gives the same bytes several times faster.
        value = self.to_dict()
        if self.payload_type.isascii() and all(k.isascii() for k, _ in self.signatures):
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()

    def to_dict(self) -> dict[str, Any]:
        """Return the envelope as a JSON-able dict (inside a larger request)."""
        return {
            "payloadType": self.payload_type,
            "payload": b64encode(self.payload),
            "signatures": [{"keyid": k, "sig": b64encode(s)} for k, s in self.signatures],
        }

    @property
    def digest(self) -> str:
        """Return the SHA-256 (hex) of the signed payload bytes: the bundle hash."""
        return hashlib.sha256(self.payload).hexdigest()

    @classmethod
    def from_json(cls, raw: bytes) -> Envelope:
        """Parse an envelope strictly from its JSON bytes."""
        fast = _canonical_envelope(raw)
        if fast is not None:
            return fast
        return cls.from_dict(strict_loads(raw))

    @classmethod
    def from_dict(cls, raw: Any) -> Envelope:
        """Build an envelope from its parsed JSON, refusing anything malformed."""
        if not isinstance(raw, Mapping) or set(raw) != {"payloadType", "payload", "signatures"}:
            raise InvalidInput(N_("签名信封格式不正确。"), field="envelope")
        payload_type = raw["payloadType"]
        signatures = raw["signatures"]
        if not isinstance(payload_type, str) or not isinstance(signatures, list) or not signatures:
            raise InvalidInput(N_("签名信封格式不正确。"), field="envelope")
        parsed = []
        for entry in signatures:
            if not isinstance(entry, Mapping) or set(entry) != {"keyid", "sig"}:
                raise InvalidInput(N_("签名信封格式不正确。"), field="signatures")
            if not isinstance(entry["keyid"], str):
                raise InvalidInput(N_("签名信封格式不正确。"), field="keyid")
            parsed.append((entry["keyid"], b64decode(entry["sig"], "sig")))
        return cls(payload_type, b64decode(raw["payload"], "payload"), tuple(parsed))


class _WireSignature(msgspec.Struct, forbid_unknown_fields=True):
    keyid: str
    sig: bytes


class _WireEnvelope(msgspec.Struct, forbid_unknown_fields=True):
    # In sorted order: msgspec writes a struct's fields in the order they are declared.
    payload: bytes
    payloadType: str  # noqa: N815 - the wire's own name
    signatures: list[_WireSignature]


_WIRE_ENVELOPE = msgspec.json.Decoder(_WireEnvelope)
_WIRE_ENCODER = msgspec.json.Encoder()


def _canonical_envelope(raw: bytes) -> Envelope | None:
    """Parse an envelope in its canonical spelling (what ``to_json`` writes) in C; None otherwise.

    msgspec decodes the base64 itself, several times faster than parsing the JSON and then the
    base64 of a half-megabyte payload. It would take a repeated key or spaces, so the bytes count
    only if writing the parsed envelope back gives exactly them; anything else (another valid
    spelling, or something to refuse with its reason) goes the strict way.
    """
    if not isinstance(raw, bytes):
        return None
    try:
        wire = _WIRE_ENVELOPE.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if not wire.signatures or _WIRE_ENCODER.encode(wire) != raw:
        return None
    if "\x00" in wire.payloadType or any("\x00" in s.keyid for s in wire.signatures):
        return None  # the strict way refuses it, with its reason
    return Envelope(
        wire.payloadType, wire.payload, tuple((s.keyid, s.sig) for s in wire.signatures)
    )


def check_signatures(
    envelope: Envelope,
    expected_type: str,
    keys: Mapping[str, bytes],
    *,
    require: tuple[str, ...] = (),
) -> None:
    """Check an envelope's signatures against trusted public keys, or raise ``BadSignature``.

    ``keys`` maps key ids to raw public keys; at least one signature must verify with one of them,
    and every key id in ``require`` must have a verifying signature (rotation: old and new key).
    """
    if envelope.payload_type != expected_type:
        raise BadSignature(N_("签名内容类型不符。"))
    message = pae(envelope.payload_type, envelope.payload)
    verified = set()
    for kid, signature in envelope.signatures:
        raw = keys.get(kid)
        if raw is None:
            continue
        try:
            public_key(raw).verify(signature, message)
        except InvalidSignature:
            raise BadSignature(
                N_("签名校验失败：数据在传输或存储中被改动，或签名密钥不符。")
            ) from None
        verified.add(kid)
    if not verified:
        raise BadSignature(N_("签名密钥未登记或已吊销。"))
    missing = [kid for kid in require if kid not in verified]
    if missing:
        raise BadSignature(N_("缺少必需的签名。"))


def verify_envelope(
    envelope: Envelope,
    expected_type: str,
    keys: Mapping[str, bytes],
    *,
    require: tuple[str, ...] = (),
) -> Any:
    """Verify an envelope (``check_signatures``) and return its strictly parsed payload."""
    check_signatures(envelope, expected_type, keys, require=require)
    return strict_loads(envelope.payload)


def _refuse_constant(name: str) -> Any:
    raise InvalidInput(N_("数据中不允许出现 %(name)s。"), field="payload", name=name)


def _refuse_float(text: str) -> Any:
    raise InvalidInput(N_("数据中不允许出现小数：%(text)s"), field="payload", text=text[:20])


def _bounded_int(text: str) -> int:
    # Refuse before converting: Python will not convert more than 4,300 digits (ValueError), and
    # converting long ones costs quadratic time.
    if len(text) > _MAX_INT_CHARS:
        raise InvalidInput(N_("数值超出允许范围：%(text)s"), field="payload", text=text[:20])
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise InvalidInput(N_("数值超出允许范围：%(text)s"), field="payload", text=text[:20])
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # built in C; only a shorter dict than the pair list needs a closer look
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidInput(N_("数据中有重复的键：%(key)s"), field="payload", key=key[:40])
            seen.add(key)
    return result


def _no_floats(text: str) -> Any:
    raise ValueError(text[:20])


# Parses in C and calls this hook for every number with a fraction or an exponent: the schema has none.
_FAST_DECODER = msgspec.json.Decoder(float_hook=_no_floats)


def strict_loads(raw: bytes) -> Any:
    """Parse JSON bytes strictly: UTF-8, no duplicate keys, no NaN/Infinity, no floats, no huge
    ints, no NUL character in any string."""
    value = None
    if isinstance(raw, bytes):
        value = _canonical_loads(raw)
    if value is None:
        value = _strict_loads_slowly(raw)
    # JSON can only spell a NUL as \u0000: where those six characters are absent (always, but for
    # a device gone wrong) there is nothing to walk. A NUL is in no field of ours, and PostgreSQL
    # cannot store one in a text column.
    escaped_nul = b"\\u0000" if isinstance(raw, bytes) else "\\u0000"
    if escaped_nul in raw and _holds_nul(value):
        raise InvalidInput(N_("数据中含有 NUL 控制字符（\\u0000），不能保存。"), field="payload")
    return value


# Brackets outside strings, and strings whole (so that their brackets do not count).
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# A UTF-16 surrogate spelled as an escape: on its own it is no character (it cannot be UTF-8
# encoded, stored in PostgreSQL or written by orjson); json.loads would let it through.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def nesting_depth(text: str) -> int:
    """Return how deep arrays and objects nest in a JSON text (without parsing it)."""
    depth = deepest = 0
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif mark in "]}":
            depth -= 1
    return deepest


def _holds_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_surrogate(key) or _holds_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_surrogate(item) for item in value)
    return False


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _canonical_loads(raw: bytes) -> Any:
    """Parse canonical JSON (what every signed payload is, protocol §1) in C; None otherwise.

    The bytes are canonical when orjson writes the parsed value back to exactly the same bytes. A
    dict cannot hold a key twice, so canonical bytes have no duplicate keys; NaN and Infinity do not
    parse, nor does a float (the decoder's hook refuses it); an integer beyond ±2^53 does not write
    back (strict integers). Whatever fails any of these goes to the slow parser, which refuses it
    with the exact reason, or reads JSON that is valid but not canonical.
    """
    try:
        value = _FAST_DECODER.decode(raw)
        again = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
    except (msgspec.DecodeError, orjson.JSONEncodeError, ValueError, RecursionError):
        return None
    return value if again == raw else None


def _strict_loads_slowly(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InvalidInput(N_("数据不是 UTF-8 编码。"), field="payload") from None
    # Before parsing: json.loads recurses once per level and gives up (RecursionError) near 1,000.
    if nesting_depth(text) > MAX_DEPTH:
        raise InvalidInput(
            N_("数据嵌套过深：最多 %(depth)s 层。"), field="payload", depth=MAX_DEPTH
        )
    value = _parse_strictly(text)
    if _ESCAPED_SURROGATE.search(text) and _holds_surrogate(value):
        raise InvalidInput(
            N_("数据中含有无效的 Unicode 字符（单独的代理项，如 \\ud800），不能保存。"),
            field="payload",
        )
    return value


def _parse_strictly(text: str) -> Any:
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_refuse_constant,
            parse_float=_refuse_float,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as error:
        raise InvalidInput(
            N_("数据不是有效的 JSON（第 %(line)s 行）。"), field="payload", line=error.lineno
        ) from None
