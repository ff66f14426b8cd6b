"""Statistics periods: each kind's first and last day, the previous and next period, and bad input
refused with a message (never guessed at)."""

from __future__ import annotations

from datetime import date

import pytest

from sync.errors import InvalidInput
from sync.periods import parse_period, shifted

TODAY = date(2026, 12, 7)  # a Monday


@pytest.mark.parametrize(
    ("kind", "day", "first", "last"),
    [
        ("day", "2026-03-04", "2026-03-04", "2026-03-04"),
        ("week", "2026-12-10", "2026-12-07", "2026-12-13"),
        ("week", "2027-01-01", "2026-12-28", "2027-01-03"),  # a week across the new year
        ("month", "2024-02-10", "2024-02-01", "2024-02-29"),
        ("month", "2026-12-31", "2026-12-01", "2026-12-31"),
        ("quarter", "2026-11-02", "2026-10-01", "2026-12-31"),
        ("quarter", "2026-05-20", "2026-04-01", "2026-06-30"),
        ("year", "2026-05-20", "2026-01-01", "2026-12-31"),
        ("", "", "2026-12-01", "2026-12-31"),  # default: this month
    ],
)
def test_each_kind_of_period_has_its_days(kind, day, first, last):
    period = parse_period(kind, day, "", "", TODAY)
    assert period.bounds() == (first, last)


def test_a_range_is_any_days_and_moves_by_its_length():
    period = parse_period("range", "", "2026-11-25", "2026-12-04", TODAY)
    assert period.days == 10 and not period.by_month
    assert shifted(period, -1).bounds() == ("2026-11-15", "2026-11-24")
    assert parse_period("range", "", "2026-01-01", "2026-12-31", TODAY).by_month


def test_previous_and_next_periods():
    quarter = parse_period("quarter", "2026-01-15", "", "", TODAY)
    assert shifted(quarter, -1).bounds() == ("2025-10-01", "2025-12-31")
    assert shifted(quarter, 1).bounds() == ("2026-04-01", "2026-06-30")
    month = parse_period("month", "2026-03-31", "", "", TODAY)
    assert shifted(month, -1).bounds() == ("2026-02-01", "2026-02-28")


@pytest.mark.parametrize(
    ("kind", "day", "first", "last", "message"),
    [
        ("fortnight", "", "", "", "统计周期应为"),
        ("day", "2026-02-30", "", "", "日期请按"),
        ("day", "2026/02/03", "", "", "日期请按"),
        ("day", "１２３４-01-01", "", "", "日期请按"),
        ("year", "1999-12-31", "", "", "日期超出可统计的范围"),
        ("range", "", "2026-12-08", "2026-12-01", "起始日期不能晚于截止日期"),
        ("range", "", "2010-01-01", "2026-01-01", "统计时段最长十年"),
    ],
)
def test_bad_input_is_refused_with_a_message(kind, day, first, last, message):
    with pytest.raises(InvalidInput) as refused:
        parse_period(kind, day, first, last, TODAY)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("first", "last", "days", "months"),
    [
        ("2026-01-01", "2026-12-31", [], ("2026-01", "2026-12")),
        ("2026-03-01", "2026-03-31", [], ("2026-03", "2026-03")),
        ("2026-03-02", "2026-03-31", [("2026-03-02", "2026-03-31")], None),
        ("2026-12-07", "2026-12-13", [("2026-12-07", "2026-12-13")], None),
        (
            "2025-12-15",
            "2026-03-10",
            [("2025-12-15", "2025-12-31"), ("2026-03-01", "2026-03-10")],
            ("2026-01", "2026-02"),
        ),
        ("2026-02-01", "2026-03-15", [("2026-03-01", "2026-03-15")], ("2026-02", "2026-02")),
        ("2026-01-20", "2026-02-28", [("2026-01-20", "2026-01-31")], ("2026-02", "2026-02")),
    ],
)
def test_a_period_splits_into_odd_days_and_whole_months(first, last, days, months):
    period = parse_period("range", "", first, last, TODAY)
    assert period.split() == (days, months)
    # Together they cover every day of the period exactly once.
    covered = [d for a, b in days for d in period.each_day() if a <= d.isoformat() <= b]
    if months:
        covered += [d for d in period.each_day() if months[0] <= d.isoformat()[:7] <= months[1]]
    assert sorted(covered) == period.each_day()
