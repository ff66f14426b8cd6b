"""A /bundles body is split in C when it has the clients' tight form, and the answer is the same as
the exact splitter's for every body: the same envelope bytes, or the same refusal."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from central_api.device_api.bundle_body import _split_exactly, bundle_envelopes
from central_api.errors import Refusal
from tests.unit.test_canonical_json import json_values


def _answer(split, body: bytes):
    try:
        return split(body)
    except Refusal as refusal:
        return refusal.body()["error"]["code"]


def _tight(elements: list[bytes]) -> bytes:
    return b'{"bundles":[' + b",".join(elements) + b"]}"


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, max_size=6))
def test_the_clients_tight_form_gives_each_envelopes_exact_bytes(values):
    elements = [json.dumps(v, separators=(",", ":")).encode() for v in values]
    assert bundle_envelopes(_tight(elements)) == elements


@settings(max_examples=500, deadline=None)
@given(
    st.lists(json_values, max_size=4),
    st.sampled_from([" ", "\n", ', "bundles": []', ",", "x", "]", "\ufeff", '"']),
    st.integers(min_value=0, max_value=10_000),
)
def test_any_other_spelling_gets_the_exact_splitters_answer(values, extra, where):
    elements = [json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode() for v in values]
    body = _tight(elements)
    cut = where % (len(body) + 1)
    body = body[:cut] + extra.encode() + body[cut:]
    assert _answer(bundle_envelopes, body) == _answer(_split_exactly, body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"bundles":[{"a":1}],"bundles":[]}',  # a repeated key: msgspec alone would take the last
        b'{"bundles":[{"a":"\xff"}]}',  # not UTF-8 inside an element
        b'{"bundles":[{"a":1},]}',
        b'{"bundles":[{"a":1}{"b":2}]}',
        b'{"bundles":[]} x',
        b'{"other":[]}',
        b"",
    ],
)
def test_malformed_bodies_are_refused_as_a_whole(body):
    assert _answer(bundle_envelopes, body) == "malformed_request"
