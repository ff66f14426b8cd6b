"""Case numbers and query codes."""

from __future__ import annotations

from datetime import date

import pytest

from sync.case_numbers import (
    QUERY_CODE_ALPHABET,
    device_code_from_id,
    format_case_number,
    new_query_code,
    parse_case_number,
)
from sync.errors import InvalidInput


def test_case_number_reads_date_unit_device_and_sequence():
    number = format_case_number(date(2026, 11, 25), "370613004", "A7", 42)
    assert number == "20261125-370613004-A7-0042"
    parsed = parse_case_number(number)
    assert (parsed.day, parsed.org_code, parsed.device_code, parsed.sequence) == (
        date(2026, 11, 25),
        "370613004",
        "A7",
        42,
    )


def test_case_numbers_sort_by_day_across_units_and_devices():
    numbers = [
        format_case_number(date(2026, 11, 26), "370613001", "B2", 1),
        format_case_number(date(2026, 11, 25), "370613004", "A7", 12),
        format_case_number(date(2026, 11, 25), "370613004001", "C3", 3),
    ]
    assert [n[:8] for n in sorted(numbers)] == ["20261125", "20261125", "20261126"]


def test_two_devices_of_one_unit_never_make_the_same_number_on_the_same_day():
    day = date(2026, 11, 25)
    first = {format_case_number(day, "370613004", "A7", n) for n in range(1, 200)}
    second = {format_case_number(day, "370613004", "B3", n) for n in range(1, 200)}
    assert not first & second


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-370613004-A7-1", "格式不正确"),
        ("20261325-370613004-A7-0001", "日期不存在"),
        ("20261125-3706-A7-0001", "格式不正确"),
    ],
)
def test_malformed_case_numbers_are_refused(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_case_number(text)


@pytest.mark.parametrize(
    ("org", "device", "seq", "message"),
    [
        ("370613004", "a", 1, "设备代码"),
        ("3706", "A7", 1, "行政区划代码"),
        ("370613004", "A7", 0, "序号"),
    ],
)
def test_case_number_parts_are_checked(org, device, seq, message):
    with pytest.raises(InvalidInput, match=message):
        format_case_number(date(2026, 11, 25), org, device, seq)


def test_query_codes_avoid_characters_that_are_misread_on_paper():
    codes = {new_query_code() for _ in range(500)}
    assert len(codes) > 490
    assert all(len(c) == 6 and set(c) <= set(QUERY_CODE_ALPHABET) for c in codes)
    assert not set("01IOL") & set(QUERY_CODE_ALPHABET)


def test_device_code_from_id_is_stable_and_well_formed():
    code = device_code_from_id("6f1c2a8e-0000-4000-8000-000000000001")
    assert code == device_code_from_id("6f1c2a8e-0000-4000-8000-000000000001")
    assert len(code) == 2 and set(code) <= set(QUERY_CODE_ALPHABET)
