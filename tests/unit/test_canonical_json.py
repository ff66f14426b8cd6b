"""The fast canonical serializer gives exactly the bytes of the reference expression (§1)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.events import canonical_bytes

# Every JSON value the schema allows: no floats, integers within ±2^53, string keys.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(blacklist_categories=("Cs",))), children, max_size=5
        )
    ),
    max_leaves=30,
)


def reference(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_canonical_bytes_equal_the_reference_expression_for_any_schema_value(value):
    assert canonical_bytes(value) == reference(value)


def test_control_characters_line_separators_and_astral_characters_match_the_reference():
    value = {"b": '\u2028\u2029\x7f\x00\x1f\n\r\t\b\f"\\/', "a": "中文\U0001f600", "é": [1, -2]}
    assert canonical_bytes(value) == reference(value)
