"""An envelope in its canonical spelling is parsed in C; every other spelling gives the same envelope
the strict parser gives, or the same refusal."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import InvalidInput
from sync.signing import Envelope, SigningKey, _canonical_envelope

KEY = SigningKey.generate()


def _slowly(raw: bytes) -> Envelope:
    return Envelope.from_dict(json.loads(raw))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.text(min_size=1, max_size=30).filter(lambda t: "\x00" not in t))
def test_a_signed_envelope_takes_the_fast_path_to_what_the_strict_parser_gives(payload, kind):
    envelope = KEY.sign(kind, payload)
    raw = envelope.to_json()
    parsed = Envelope.from_json(raw)
    assert parsed == envelope == _slowly(raw)
    if kind.isascii() and kind.isprintable():
        assert _canonical_envelope(raw) == envelope


def test_an_envelope_whose_type_holds_a_nul_is_refused():
    raw = KEY.sign("application/\x00json", b'{"a":1}').to_json()
    with pytest.raises(InvalidInput, match="NUL"):
        Envelope.from_json(raw)


def test_an_envelope_with_spaces_or_keys_in_another_order_is_still_read():
    envelope = KEY.sign("application/vnd.bianmin.bundle+json", b'{"a":1}')
    raw = json.dumps(envelope.to_dict(), indent=2).encode()
    assert _canonical_envelope(raw) is None
    assert Envelope.from_json(raw) == envelope


@pytest.mark.parametrize(
    "raw",
    [
        # a repeated key: the fast parser would keep the last one, so it must not decide
        b'{"payload":"YQ==","payload":"Yg==","payloadType":"t",'
        b'"signatures":[{"keyid":"k","sig":"YQ=="}]}',
        b'{"payload":"YQ==","payloadType":"t","signatures":[]}',  # no signature
        b'{"payload":"YQ","payloadType":"t","signatures":[{"keyid":"k","sig":"YQ=="}]}',  # padding
        b'{"payload":"Y Q==","payloadType":"t","signatures":[{"keyid":"k","sig":"YQ=="}]}',
        b'{"extra":1,"payload":"YQ==","payloadType":"t","signatures":[{"keyid":"k","sig":"YQ=="}]}',
        b'{"payload":"YQ==","payloadType":1,"signatures":[{"keyid":"k","sig":"YQ=="}]}',
    ],
)
def test_a_malformed_envelope_is_refused_whatever_the_path(raw):
    assert _canonical_envelope(raw) is None
    with pytest.raises(InvalidInput):
        Envelope.from_json(raw)
