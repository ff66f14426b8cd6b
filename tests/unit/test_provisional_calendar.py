"""The provisional calendar of a year nobody has published: hand-worked dates, the official calendars
of 2025 and 2026 as a check of the rule, and deadlines across Spring Festival 2027."""

from __future__ import annotations

from datetime import date as D
from datetime import timedelta

import chinese_calendar
import pytest

from sync import events as ev
from sync import fold
from sync import provisional_calendar as provisional
from sync.calendar_notes import due_date_changes
from sync.case_clock import case_deadline, promised_completion, promised_is_provisional
from sync.deadlines import (
    DEFAULT_CALENDAR,
    WorkingCalendar,
    YearCalendar,
    add_working_days,
    deadline_status,
    working_days_between,
)
from sync.errors import CalendarUnknown
from tests.unit.casefactory import CaseLog, registered_payload

PROVISIONAL = WorkingCalendar(provisional=True)

# A made-up "official" 2027 notice for the tests: 春节 Feb 5–12 off (8 days), Saturday Feb 20
# worked; 元旦 Jan 1–3 off.
OFFICIAL_2027 = YearCalendar(
    year=2027,
    holidays=frozenset(
        [D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)]
        + [D(2027, 2, 5) + timedelta(days=n) for n in range(8)]
    ),
    workdays=frozenset([D(2027, 2, 20)]),
    source="测试用国务院办公厅关于2027年部分节假日安排的通知",
    version=1,
)

# Worked by hand from the lunar calendar (正月初一 2027 is Saturday February 6; 清明 falls on
# April 5; 五月初五 is June 9; 八月十五 is September 15) and the weekdays of 2027 (January 1 is a
# Friday).
HAND_WORKED_2027 = {
    D(2027, 1, 1): "元旦",
    D(2027, 2, 5): "春节",  # 除夕 (腊月廿九: 腊月 2026 has 29 days), Friday
    D(2027, 2, 6): "春节",  # 正月初一, Saturday
    D(2027, 2, 7): "春节",
    D(2027, 2, 8): "春节",  # 初三, Monday
    D(2027, 4, 5): "清明节",  # Monday
    D(2027, 5, 1): "劳动节",  # Saturday
    D(2027, 5, 2): "劳动节",  # Sunday
    D(2027, 6, 9): "端午节",  # Wednesday
    D(2027, 9, 15): "中秋节",  # Wednesday
    D(2027, 10, 1): "国庆节",  # Friday
    D(2027, 10, 2): "国庆节",
    D(2027, 10, 3): "国庆节",
}
# Art. 6: a holiday on a Saturday or Sunday is made up on the next working day.
HAND_WORKED_MAKE_UP_2027 = {
    D(2027, 2, 9): "春节",  # for Saturday Feb 6
    D(2027, 2, 10): "春节",  # for Sunday Feb 7
    D(2027, 5, 3): "劳动节",
    D(2027, 5, 4): "劳动节",
    D(2027, 10, 4): "国庆节",
    D(2027, 10, 5): "国庆节",
}


def test_hand_worked_weekdays_of_2027_are_right():
    assert D(2027, 1, 1).weekday() == 4  # Friday
    assert D(2027, 2, 5).weekday() == 4 and D(2027, 2, 6).weekday() == 5
    assert D(2027, 5, 1).weekday() == 5 and D(2027, 10, 1).weekday() == 4


def test_statutory_holidays_of_2027_match_the_hand_worked_dates():
    assert provisional.statutory_holidays(2027) == HAND_WORKED_2027


def test_weekend_holidays_of_2027_are_made_up_on_the_next_working_days():
    holidays = provisional.statutory_holidays(2027)
    assert provisional.make_up_days(holidays) == HAND_WORKED_MAKE_UP_2027
    assert provisional.days_off(2027) == frozenset(HAND_WORKED_2027) | frozenset(
        HAND_WORKED_MAKE_UP_2027
    )


# The festival names chinesecalendar gives its holidays.
PACKAGE_NAMES = {
    "元旦": "New Year's Day",
    "春节": "Spring Festival",
    "清明节": "Tomb-sweeping Day",
    "劳动节": "Labour Day",
    "端午节": "Dragon Boat Festival",
    "中秋节": "Mid-autumn Festival",
    "国庆节": "National Day",
}


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rule_gives_days_the_official_calendar_of_the_year_also_gives_off(year):
    holidays = provisional.statutory_holidays(year)
    made_up = provisional.make_up_days(holidays)
    assert len(holidays) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3: the 2024 revision's 13 days
    for day, name in {**holidays, **made_up}.items():
        on_holiday, festival = chinese_calendar.get_holiday_detail(day)
        assert on_holiday, f"{day} ({name}) is a working day in the official {year} calendar"
        assert festival == PACKAGE_NAMES[name], (day, name, festival)


def test_mid_autumn_inside_national_day_is_one_day_off_not_two():
    # 2028: 八月十五 is October 3, a day of 国庆 already.
    assert D(2028, 10, 3) in provisional.statutory_holidays(2028)
    assert provisional.days_off(2028) >= {D(2028, 10, 2), D(2028, 10, 3), D(2028, 10, 4)}


def test_strict_calendar_still_refuses_to_guess_2027():
    with pytest.raises(CalendarUnknown):
        DEFAULT_CALENDAR.is_working_day(D(2027, 2, 11))
    assert not DEFAULT_CALENDAR.is_provisional(2027)


def test_provisional_calendar_knows_2027_and_says_so():
    assert PROVISIONAL.is_provisional(2027)
    assert not PROVISIONAL.is_provisional(2026)  # the package's own year
    assert not PROVISIONAL.with_override(OFFICIAL_2027).is_provisional(2027)
    assert not PROVISIONAL.is_working_day(D(2027, 2, 10))  # made up for Sunday Feb 7
    assert PROVISIONAL.is_working_day(D(2027, 2, 11))
    assert not PROVISIONAL.is_working_day(D(2027, 2, 13))  # a Saturday, never worked
    assert PROVISIONAL.provisional_between(D(2026, 12, 30), D(2027, 1, 4))
    assert not PROVISIONAL.provisional_between(D(2026, 3, 1), D(2026, 12, 31))


def test_a_year_beyond_the_lunar_tables_stays_unknown():
    with pytest.raises(CalendarUnknown):
        PROVISIONAL.is_working_day(D(2101, 3, 1))


def test_five_working_days_across_spring_festival_2027():
    # Mon Feb 1: Feb 2, 3, 4 count; Feb 5–10 are off; Thu Feb 11 and Fri Feb 12 end it.
    assert add_working_days(D(2027, 2, 1), 5, PROVISIONAL) == D(2027, 2, 12)
    assert working_days_between(D(2027, 2, 4), D(2027, 2, 11), PROVISIONAL) == 1


def test_twenty_working_days_from_december_run_into_2027_provisionally():
    # From Mon 2026-12-21: Dec 22–25 (4), Dec 28–31 (8), Jan 1 off, Jan 4–15 (18), Jan 18, 19.
    status = deadline_status(D(2026, 12, 21), 20, [], D(2026, 12, 28), PROVISIONAL)
    assert (status.light, status.due_on, status.days_left) == ("green", D(2027, 1, 19), 15)
    assert status.provisional
    assert (
        status.message
        == "剩余15个工作日；到期日2027-01-19为暂定（以国务院办公厅公布的放假安排为准）"
    )
    assert str(status.phrase) == "1月19日到期（暂定）"


def test_the_official_calendar_replaces_the_provisional_dates():
    official = PROVISIONAL.with_override(OFFICIAL_2027)
    # Feb 2, 3, 4; Feb 5–14 off; Feb 15 and 16.
    assert add_working_days(D(2027, 2, 1), 5, official) == D(2027, 2, 16)
    status = deadline_status(D(2027, 2, 1), 5, [], D(2027, 2, 3), official)
    assert (status.due_on, status.provisional, str(status.phrase)) == (
        D(2027, 2, 16),
        False,
        "剩3个工作日",
    )


@pytest.mark.parametrize(
    ("accepted", "limit", "today", "phrase"),
    [
        (D(2026, 11, 2), 5, D(2026, 11, 4), "剩3个工作日"),
        (D(2026, 11, 2), 5, D(2026, 11, 9), "今日到期"),
        (D(2026, 11, 2), 5, D(2026, 11, 11), "逾期2个工作日"),
        (D(2026, 11, 2), 4, D(2026, 11, 7), "11月6日已到期"),  # Sat after a Friday due day
        (D(2027, 2, 1), 5, D(2027, 2, 3), "2月12日到期（暂定）"),
        (D(2027, 2, 1), 5, D(2027, 2, 12), "今日到期（暂定）"),
        (D(2027, 2, 1), 5, D(2027, 2, 16), "逾期2个工作日（暂定）"),
    ],
)
def test_the_deadline_column_says_one_short_phrase(accepted, limit, today, phrase):
    status = deadline_status(accepted, limit, [], today, PROVISIONAL)
    assert str(status.phrase) == phrase
    assert len(str(status.phrase)) <= 12


def test_a_paused_clock_says_so_in_two_words():
    status = deadline_status(D(2027, 2, 1), 5, [(D(2027, 2, 2), None)], D(2027, 2, 3), PROVISIONAL)
    assert str(status.phrase) == "暂停计时"
    assert "暂停计时" in status.message


def _december_case(days_after_acceptance: int = 0):
    log = CaseLog()
    log.moment = log.moment.replace(year=2026, month=12, day=20)
    log.add(ev.REGISTERED, registered_payload("forwarded"))
    log.add(ev.ACCEPTED, after=timedelta(days=1))  # accepted Monday 2026-12-21, 20 working days
    return fold.fold(log.events)


def test_the_receipt_date_is_provisional_until_the_year_is_published():
    state = _december_case()
    assert promised_completion(state, PROVISIONAL) == D(2027, 1, 19)
    assert promised_is_provisional(state, D(2027, 1, 19), PROVISIONAL)
    official = PROVISIONAL.with_override(OFFICIAL_2027)
    assert promised_completion(state, official) == D(2027, 1, 19)  # Jan 1–3 off in both
    assert not promised_is_provisional(state, D(2027, 1, 19), official)
    assert case_deadline(state, D(2026, 12, 28), PROVISIONAL).provisional


def test_the_timeline_notes_the_due_date_the_official_calendar_moved():
    # Accepted Mon 2027-01-25 with 20 working days: provisionally Jan 26–Feb 4 (8), Feb 5–10
    # off, Feb 11–12 (10), Feb 15–19 (15), Feb 22–26 (20) → Feb 26. Officially Feb 5–14 off
    # and Sat Feb 20 worked: Feb 15–19 (13), Feb 20 (14), Feb 22–26 (19), Mar 1 (20).
    log = CaseLog()
    log.moment = log.moment.replace(year=2027, month=1, day=25)
    log.add(ev.REGISTERED, registered_payload("forwarded"))
    log.add(ev.ACCEPTED)
    state = fold.fold(log.events)
    official = PROVISIONAL.with_override(OFFICIAL_2027)
    arrived = {2027: "2027-01-27T02:00:00.000Z"}
    [note] = due_date_changes(state, official, arrived, D(2027, 1, 28))
    assert (note.year, note.before, note.after, note.changed) == (
        2027,
        D(2027, 2, 26),
        D(2027, 3, 1),
        True,
    )
    assert note.at == arrived[2027] and note.source == OFFICIAL_2027.source
    # A case accepted once the year was known never had a provisional date: no note.
    assert (
        due_date_changes(state, official, {2027: "2027-01-20T02:00:00.000Z"}, D(2027, 1, 28)) == []
    )
    # Nor is there one before the year arrives.
    assert due_date_changes(state, PROVISIONAL, {}, D(2027, 1, 28)) == []


def test_a_case_due_before_the_unknown_year_gets_no_note():
    log = CaseLog()
    log.moment = log.moment.replace(year=2026, month=11, day=2)
    log.add(ev.REGISTERED, registered_payload("promised"))
    log.add(ev.ACCEPTED)
    state = fold.fold(log.events)
    official = PROVISIONAL.with_override(OFFICIAL_2027)
    assert (
        due_date_changes(state, official, {2027: "2026-11-20T02:00:00.000Z"}, D(2026, 11, 3)) == []
    )
