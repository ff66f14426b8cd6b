"""The body of ``POST /api/v1/bundles``: ``{"bundles": [envelope, ...]}``, split into the exact
bytes of each envelope as the device sent them (they are kept verbatim, never re-serialized)."""

from __future__ import annotations

import json
import re

import msgspec

from central_api.errors import Refusal
from sync import stages


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    bundles: list[msgspec.Raw]


_BODY = msgspec.json.Decoder(_Body)
_OPEN, _CLOSE = b'{"bundles":[', b"]}"


def bundle_envelopes(body: bytes) -> list[bytes]:
    """Return the exact bytes of each envelope in a ``{"bundles": [...]}`` body."""
    # Fast path, in C, for the form every client sends: no space between the parts. msgspec keeps
    # each element's bytes unparsed; it would also take a repeated "bundles" key or spaces, so the
    # body must be exactly as long as the tight form of what it read, which nothing else is.
    # It leaves the elements' bytes unchecked too: they must be UTF-8 (envelopes are ASCII).
    spans = None
    if body.isascii():
        try:
            spans = [bytes(raw) for raw in _BODY.decode(body).bundles]
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            pass  # the exact way below says what is wrong, or finds each element's end
    if spans is not None and len(body) == _tight_length(spans):
        return spans
    return _split_exactly(body)


def _tight_length(spans: list[bytes]) -> int:
    """Return the length of ``{"bundles":[...]}`` with these elements and no space."""
    return len(_OPEN) + sum(map(len, spans)) + max(len(spans) - 1, 0) + len(_CLOSE)


def _split_exactly(body: bytes) -> list[bytes]:
    """Split any JSON spelling of ``{"bundles": [...]}``, refusing everything else.

    One pass over the body: each envelope is parsed once, to find where it ends, and kept as the
    device sent it (never re-serialized); the outer object must be exactly ``{"bundles": [...]}``.
    """
    malformed = Refusal(stages.MALFORMED_REQUEST, '请求内容应为 {"bundles": [...]}。')
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(stages.MALFORMED_REQUEST, "请求内容不是有效的 JSON。") from None
    decoder = json.JSONDecoder()
    position = 0

    def expect(token: str) -> None:
        nonlocal position
        position = _skip_space(text, position)
        if not text.startswith(token, position):
            raise malformed
        position += len(token)

    try:
        expect("{")
        position = _skip_space(text, position)
        key, position = decoder.raw_decode(text, position)
        if key != "bundles":
            raise malformed
        expect(":")
        expect("[")
        spans: list[bytes] = []
        position = _skip_space(text, position)
        if text.startswith("]", position):
            position += 1
        else:
            while True:
                position = _skip_space(text, position)
                start = position
                try:
                    _, position = decoder.raw_decode(text, position)
                except RecursionError:
                    # Nested too deep to parse here: an element of its own all the same, which
                    # the bundle checks refuse as a malformed envelope (the others go on).
                    position = _end_of_nested(text, position)
                spans.append(text[start:position].encode("utf-8"))
                position = _skip_space(text, position)
                if text.startswith("]", position):
                    position += 1
                    break
                expect(",")
        expect("}")
    except (ValueError, RecursionError):
        raise Refusal(stages.MALFORMED_REQUEST, "请求内容不是有效的 JSON。") from None
    if _skip_space(text, position) != len(text):
        raise malformed
    return spans


# A string whole (its brackets do not count), or one bracket.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _end_of_nested(text: str, position: int) -> int:
    """Return where the array or object that starts at ``position`` ends, without recursion."""
    if not text.startswith(("[", "{"), position):
        raise ValueError("not an array or object")
    depth = 0
    for token in _TOKENS.finditer(text, position):
        mark = token.group()
        if mark in "[{":
            depth += 1
        elif mark in "]}":
            depth -= 1
            if depth == 0:
                return token.end()
    raise ValueError("unbalanced brackets")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
