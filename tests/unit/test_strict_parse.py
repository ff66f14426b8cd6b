"""The strict parser's fast path for canonical bytes agrees with the slow path and refuses the same."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import InvalidInput
from sync.events import canonical_bytes
from sync.signing import _canonical_loads, _holds_nul, _strict_loads_slowly, strict_loads
from tests.unit.test_canonical_json import json_values


@settings(max_examples=500, deadline=None)
@given(st.lists(json_values) | st.dictionaries(st.text(), json_values))
def test_canonical_bytes_parse_fast_to_what_the_slow_parser_gives(value):
    raw = canonical_bytes(value)
    assert _strict_loads_slowly(raw) == value
    if "\\u0000" in raw.decode() and _holds_nul(value):
        with pytest.raises(InvalidInput, match="NUL"):
            strict_loads(raw)
    else:
        assert strict_loads(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        b'["\\u0000"]',
        b'{"a":{"b":["x\\u0000y"]}}',
        b'{"a\\u0000":1}',  # a key
        b'{ "a": "\\u0000" }',  # not canonical: the slow path refuses it too
    ],
)
def test_a_nul_in_any_string_is_refused(raw):
    with pytest.raises(InvalidInput, match="NUL"):
        strict_loads(raw)


def test_an_escaped_backslash_before_u0000_is_no_nul():
    assert strict_loads(b'["\\\\u0000"]') == ["\\u0000"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"a":2}',  # a duplicate key: the parsed dict writes back shorter
        b'{"a":1.5}',
        b'{"a":[1,2.0]}',
        b'{"a":1e3}',
        b'{"a":-2E1}',
        b'{"a":9007199254740993}',  # beyond 2^53
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":"\xff"}',  # not UTF-8
    ],
)
def test_what_the_slow_parser_refuses_never_passes_the_fast_path(raw):
    assert _canonical_loads(raw) is None
    with pytest.raises(InvalidInput):
        strict_loads(raw)


def test_non_canonical_but_valid_json_is_still_read_by_the_slow_path():
    assert strict_loads(b'{ "b": 1, "a": [true, null] }') == {"a": [True, None], "b": 1}


def test_a_string_that_looks_like_a_float_is_no_float():
    assert strict_loads(b'{"note":"3,1.5 m"}') == {"note": "3,1.5 m"}


@settings(max_examples=500, deadline=None)
@given(
    st.lists(json_values),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=5),
)
def test_a_float_anywhere_in_canonical_bytes_is_refused(values, number, where):
    value = {"a": values[:where] + [{"n": number}] + values[where:], "at": "12:30:24.123Z"}
    raw = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    assert _canonical_loads(raw) is None
    with pytest.raises(InvalidInput):
        strict_loads(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 255 + b"]" * 255, "嵌套过深"),
        (b"[" * 5000 + b"]" * 5000, "嵌套过深"),
        (b'{"a":' * 1000 + b"1" + b"}" * 1000, "嵌套过深"),
        (b"[" + b"9" * 5000 + b"]", "数值超出允许范围"),
        (b"[-" + b"9" * 4301 + b"]", "数值超出允许范围"),
        (b"[ 9007199254740993]", "数值超出允许范围"),
        (b'["\\ud800"]', "单独的代理项"),
        (b'{"\\uDFFF": 1}', "单独的代理项"),  # a key
        (b'["a\\udc00b"]', "单独的代理项"),
    ],
)
def test_depth_digits_and_lone_surrogates_are_refused_before_they_reach_python(raw, message):
    with pytest.raises(InvalidInput, match=message):
        strict_loads(raw)


def test_the_deepest_nesting_the_canonical_form_can_write_is_read():
    raw = b"[" * 254 + b"]" * 254
    assert orjson.dumps(strict_loads(raw)) == raw
    assert strict_loads(b" " + raw) == strict_loads(raw)  # the slow path agrees


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = '"' + "[" * 300 + '\\"' + "{" * 300 + '"'
    assert strict_loads(("[ " + text + "]").encode()) == [text[1:-1].replace('\\"', '"')]


def test_a_surrogate_pair_is_one_character_and_read():
    assert strict_loads(b'[ "\\ud83d\\ude00"]') == ["\U0001f600"]
    assert strict_loads(b'[ "\\\\ud800"]') == ["\\ud800"]  # an escaped backslash: no surrogate


def test_an_int_of_sixteen_digits_at_the_bound_is_read():
    assert strict_loads(b"[ -9007199254740992, 9007199254740992]") == [-(2**53), 2**53]
