from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from sync.deadlines import (
    DEFAULT_CALENDAR,
    DeadlineStatus,
    WorkingCalendar,
    YearCalendar,
    add_working_days,
    deadline_status,
    due_date,
    paused_working_days,
    working_days_between,
)
from sync.errors import CalendarUnknown, InvalidInput

D = date


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def calendar_2027_dict() -> dict[str, Any]:
    # A made-up 2027 notice: New Year Fri Jan 1 – Sun Jan 3, a worked Saturday Jan 9.
    return {
        "year": 2027,
        "version": 1,
        "source": "测试用2027年节假日安排",
        "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
        "workdays": ["2027-01-09"],
    }


@pytest.fixture
def calendar_2027() -> WorkingCalendar:
    return WorkingCalendar([YearCalendar.from_dict(calendar_2027_dict())])


def test_made_up_2027_notice_has_the_weekdays_its_comment_claims() -> None:
    assert D(2027, 1, 1).weekday() == 4  # Friday
    assert D(2027, 1, 9).weekday() == 5  # Saturday
    assert D(2027, 1, 4).weekday() == 0  # Monday


# The package is the source of truth for 2026; these pin what it says.
@pytest.mark.parametrize(
    "day", days(D(2026, 2, 15), D(2026, 2, 23)) + days(D(2026, 10, 1), D(2026, 10, 7))
)
def test_2026_spring_festival_and_national_day_are_rest_days(day: date) -> None:
    assert not DEFAULT_CALENDAR.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)],
)
def test_2026_adjusted_weekends_are_working_days(day: date) -> None:
    assert day.weekday() >= 5
    assert DEFAULT_CALENDAR.is_working_day(day)


def test_2026_mid_autumn_is_its_own_holiday_on_friday_september_25() -> None:
    assert not DEFAULT_CALENDAR.is_working_day(D(2026, 9, 25))
    assert DEFAULT_CALENDAR.is_working_day(D(2026, 9, 24))


def test_default_calendar_knows_2004_to_2026() -> None:
    assert DEFAULT_CALENDAR.known_years() == list(range(2004, 2027))


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 2, 12), 3, D(2026, 2, 24)),  # Fri 13, worked Sat 14, then Tue 24 after the holiday
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # the adjusted Saturday is a working day
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # Thu 8, Fri 9, worked Sat 10
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # accepted on the adjusted working Saturday
        (D(2026, 2, 14), 3, D(2026, 2, 26)),
        (D(2026, 3, 6), 1, D(2026, 3, 9)),  # Friday + 1 is Monday
        (D(2026, 3, 2), 20, D(2026, 3, 30)),
    ],
)
def test_add_working_days_skips_holidays_and_counts_adjusted_weekends(
    start: date, n: int, expected: date
) -> None:
    assert add_working_days(start, n) == expected


@pytest.mark.parametrize("start", [D(2026, 2, 17), D(2026, 3, 7), D(2026, 3, 9)])
def test_adding_zero_working_days_returns_the_start_even_on_a_holiday(start: date) -> None:
    assert add_working_days(start, 0) == start


def test_adding_negative_working_days_is_refused() -> None:
    with pytest.raises(InvalidInput):
        add_working_days(D(2026, 3, 2), -1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (D(2026, 3, 6), D(2026, 3, 9), 1),  # the first day is not counted (Civil Code art. 201)
        (D(2026, 3, 9), D(2026, 3, 9), 0),
        (D(2026, 3, 7), D(2026, 3, 8), 0),
        (D(2025, 12, 31), D(2026, 1, 5), 2),  # Sun Jan 4 worked, Mon Jan 5
    ],
)
def test_working_days_between_is_signed(a: date, b: date, expected: int) -> None:
    assert working_days_between(a, b) == expected
    assert working_days_between(b, a) == -expected


def test_working_days_between_counts_the_spring_festival_fortnight() -> None:
    # Fri 13, Sat 14 (worked), Tue 24, Wed 25, Thu 26, Fri 27, Sat 28 (worked)
    assert working_days_between(D(2026, 2, 12), D(2026, 2, 28)) == 7


def test_unknown_year_raises_calendar_unknown_instead_of_guessing() -> None:
    with pytest.raises(CalendarUnknown) as excinfo:
        DEFAULT_CALENDAR.is_working_day(D(2027, 1, 4))
    assert excinfo.value.year == 2027
    assert "2027" in str(excinfo.value)
    with pytest.raises(CalendarUnknown):
        add_working_days(D(2026, 12, 28), 10)
    with pytest.raises(CalendarUnknown):
        DEFAULT_CALENDAR.is_working_day(D(2003, 12, 31))


def test_override_makes_next_year_known(calendar_2027: WorkingCalendar) -> None:
    assert calendar_2027.known_years()[-1] == 2027
    assert not calendar_2027.is_working_day(D(2027, 1, 1))
    assert calendar_2027.is_working_day(D(2027, 1, 4))
    assert calendar_2027.is_working_day(D(2027, 1, 9))
    assert not calendar_2027.is_working_day(D(2027, 1, 10))
    # Thu Dec 31 2026, then Mon Jan 4 2027
    assert add_working_days(D(2026, 12, 30), 2, calendar_2027) == D(2027, 1, 4)
    assert working_days_between(D(2026, 12, 30), D(2027, 1, 9), calendar_2027) == 7


def test_override_replaces_a_known_year_entirely() -> None:
    corrected = YearCalendar(
        year=2026, holidays=frozenset(), workdays=frozenset(), source="更正", version=1
    )
    calendar = WorkingCalendar([corrected])
    assert calendar.is_working_day(D(2026, 10, 1))
    assert not calendar.is_working_day(D(2026, 10, 10))
    assert not DEFAULT_CALENDAR.is_working_day(D(2026, 10, 1))


def test_with_override_returns_a_new_calendar(calendar_2027: WorkingCalendar) -> None:
    assert DEFAULT_CALENDAR.with_override(calendar_2027.override(2027)).is_working_day(
        D(2027, 1, 4)
    )
    with pytest.raises(CalendarUnknown):
        DEFAULT_CALENDAR.is_working_day(D(2027, 1, 4))


def test_later_version_of_a_year_wins_and_an_older_one_is_ignored(
    calendar_2027: WorkingCalendar,
) -> None:
    v2 = YearCalendar.from_dict({**calendar_2027_dict(), "version": 2, "workdays": []})
    newer = calendar_2027.with_override(v2)
    assert not newer.is_working_day(D(2027, 1, 9))
    assert newer.with_override(calendar_2027.override(2027)).override(2027) == v2
    assert WorkingCalendar([v2, calendar_2027.override(2027)]).override(2027) == v2


def test_year_calendar_round_trips_through_its_json_form() -> None:
    source = calendar_2027_dict()
    source["holidays"] = list(reversed(source["holidays"]))
    year = YearCalendar.from_dict(source)
    assert year.to_dict() == calendar_2027_dict()
    assert YearCalendar.from_dict(year.to_dict()) == year


def test_year_calendar_ignores_keys_a_later_server_may_add() -> None:
    year = YearCalendar.from_dict({**calendar_2027_dict(), "published_on": "2026-11-04"})
    assert year.version == 1


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"year": None}, "缺少“year”项"),
        ({"version": None}, "缺少“version”项"),
        ({"holidays": None}, "缺少“holidays”项"),
        ({"year": "2027"}, "年份应为2000至2999之间的整数"),
        ({"year": 207}, "年份应为2000至2999之间的整数"),
        ({"version": 0}, "版本号应为正整数"),
        ({"version": True}, "版本号应为正整数"),
        ({"version": "1"}, "版本号应为正整数"),
        ({"source": " "}, "应注明来源"),
        ({"source": 5}, "应注明来源"),
        ({"holidays": "2027-01-01"}, "“holidays”应为日期列表"),
        ({"workdays": 20270109}, "“workdays”应为日期列表"),
        ({"holidays": ["2027/01/01"]}, "“2027/01/01”不是YYYY-MM-DD格式"),
        ({"holidays": ["20270101"]}, "“20270101”不是YYYY-MM-DD格式"),
        ({"holidays": [20270101]}, "不是YYYY-MM-DD格式"),
        ({"holidays": ["2027-02-30"]}, "“2027-02-30”不是真实存在的日期"),
        ({"holidays": ["2026-12-31"]}, "2026-12-31不在2027年内"),
        ({"workdays": ["2028-01-08"]}, "2028-01-08不在2027年内"),
        ({"workdays": ["2027-01-04"]}, "调休上班日2027-01-04不是周六或周日"),
        ({"workdays": ["2027-01-02"]}, "2027-01-02同时被列为放假日和调休上班日"),
    ],
)
def test_malformed_override_is_refused_with_a_reason(change: dict[str, Any], fragment: str) -> None:
    raw = {**calendar_2027_dict(), **change}
    raw = {key: value for key, value in raw.items() if value is not None}
    with pytest.raises(InvalidInput) as excinfo:
        YearCalendar.from_dict(raw)
    assert fragment in str(excinfo.value)


def test_override_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidInput, match="JSON对象"):
        YearCalendar.from_dict([])  # type: ignore[arg-type]


# Accepted Monday 2026-03-02 with a 5-day limit: due Monday 2026-03-09.
def test_pauses_push_the_due_date_back() -> None:
    accepted = D(2026, 3, 2)
    assert due_date(accepted, 5, [], D(2026, 3, 3)) == D(2026, 3, 9)
    # Requested Tue 3, received Thu 5: Wed 4 and Thu 5 do not count.
    closed = [(D(2026, 3, 3), D(2026, 3, 5))]
    assert paused_working_days(closed, D(2026, 3, 20)) == 2
    assert due_date(accepted, 5, closed, D(2026, 3, 20)) == D(2026, 3, 11)
    # Still awaited on Fri 6: Wed, Thu, Fri do not count so far.
    still_open = [(D(2026, 3, 3), None)]
    assert paused_working_days(still_open, D(2026, 3, 6)) == 3
    assert due_date(accepted, 5, still_open, D(2026, 3, 6)) == D(2026, 3, 12)


def test_two_pauses_add_up() -> None:
    pauses = [(D(2026, 3, 3), D(2026, 3, 4)), (D(2026, 3, 10), D(2026, 3, 12))]
    assert paused_working_days(pauses, D(2026, 3, 20)) == 3


def test_pause_over_a_holiday_pauses_only_working_days() -> None:
    assert paused_working_days([(D(2026, 9, 30), D(2026, 10, 9))], D(2026, 10, 20)) == 2


def test_open_pause_starting_after_today_has_not_paused_anything() -> None:
    assert paused_working_days([(D(2026, 3, 10), None)], D(2026, 3, 6)) == 0


def test_pause_received_before_it_was_requested_is_refused() -> None:
    with pytest.raises(InvalidInput, match="早于告知日期"):
        paused_working_days([(D(2026, 3, 5), D(2026, 3, 3))], D(2026, 3, 6))


# Accepted Monday 2026-03-02 with a 10-day limit: due Monday 2026-03-16.
@pytest.mark.parametrize(
    ("today", "light", "used", "left", "message"),
    [
        (D(2026, 3, 2), "green", 0, 10, "剩余10个工作日"),
        (D(2026, 3, 3), "green", 1, 9, "剩余9个工作日"),
        (D(2026, 3, 11), "green", 7, 3, "剩余3个工作日"),
        (D(2026, 3, 12), "yellow", 8, 2, "剩余2个工作日"),  # 80 % of the limit used
        (D(2026, 3, 13), "yellow", 9, 1, "剩余1个工作日"),
        (D(2026, 3, 14), "yellow", 9, 1, "剩余1个工作日"),  # Saturday counts nothing
        (D(2026, 3, 16), "yellow", 10, 0, "今日到期"),
        (D(2026, 3, 17), "red", 11, -1, "已超期1个工作日"),
        (D(2026, 3, 22), "red", 14, -4, "已超期4个工作日"),  # Sunday
        (D(2026, 2, 27), "green", 0, 10, "剩余10个工作日"),  # a PC clock behind acceptance
    ],
)
def test_deadline_light_follows_working_days_used(
    today: date, light: str, used: int, left: int, message: str
) -> None:
    status = deadline_status(D(2026, 3, 2), 10, [], today)
    assert status == DeadlineStatus(light, D(2026, 3, 16), used, left, message)


def test_eighty_percent_rule_makes_a_long_limit_yellow_early() -> None:
    # 20-day limit accepted Mon 2026-03-02: 16 used on 2026-03-24 leaves 4, yet it is yellow.
    assert deadline_status(D(2026, 3, 2), 20, [], D(2026, 3, 23)).light == "green"
    status = deadline_status(D(2026, 3, 2), 20, [], D(2026, 3, 24))
    assert (status.light, status.days_used, status.days_left) == ("yellow", 16, 4)


def test_due_day_passed_over_a_weekend_is_not_yet_overdue() -> None:
    status = deadline_status(D(2026, 3, 2), 4, [], D(2026, 3, 7))
    assert (status.light, status.days_left) == ("yellow", 0)
    assert status.due_on == D(2026, 3, 6)
    assert status.message == "已于2026-03-06到期"


def test_immediate_item_is_due_on_the_day_of_acceptance() -> None:
    today = deadline_status(D(2026, 3, 2), 0, [], D(2026, 3, 2))
    assert today == DeadlineStatus("yellow", D(2026, 3, 2), 0, 0, "今日到期")
    next_day = deadline_status(D(2026, 3, 2), 0, [], D(2026, 3, 3))
    assert next_day == DeadlineStatus("red", D(2026, 3, 2), 1, -1, "已超期1个工作日")


def test_immediate_item_accepted_before_a_holiday_turns_red_on_the_next_working_day() -> None:
    assert deadline_status(D(2026, 9, 30), 0, [], D(2026, 10, 7)).light == "yellow"
    assert deadline_status(D(2026, 9, 30), 0, [], D(2026, 10, 8)).light == "red"


def test_awaiting_supplement_shows_paused_and_still_counts() -> None:
    status = deadline_status(D(2026, 3, 2), 10, [(D(2026, 3, 4), None)], D(2026, 3, 9))
    # Tue 3 and Wed 4 used; Thu 5, Fri 6, Mon 9 paused.
    assert status == DeadlineStatus(
        "paused", D(2026, 3, 19), 2, 8, "暂停计时（等待补正），剩余8个工作日"
    )


def test_closed_pause_resumes_the_light() -> None:
    status = deadline_status(D(2026, 3, 2), 10, [(D(2026, 3, 4), D(2026, 3, 6))], D(2026, 3, 18))
    assert status == DeadlineStatus("yellow", D(2026, 3, 18), 10, 0, "今日到期")


def test_paused_after_the_limit_passed_still_says_overdue() -> None:
    status = deadline_status(D(2026, 3, 2), 2, [(D(2026, 3, 6), None)], D(2026, 3, 10))
    assert status.light == "paused"
    assert status.message == "暂停计时（等待补正），已超期2个工作日"


def test_due_date_in_unknown_year_keeps_the_light_but_not_the_date() -> None:
    status = deadline_status(D(2026, 12, 20), 20, [], D(2026, 12, 28))
    assert (status.light, status.due_on, status.days_used, status.days_left) == (
        "green",
        None,
        6,
        14,
    )
    assert status.message.startswith("剩余14个工作日；到期日暂无法计算")
    assert "2027" in status.message


def test_today_in_unknown_year_gives_unknown_light() -> None:
    status = deadline_status(D(2026, 12, 20), 5, [], D(2027, 1, 4))
    assert status.light == "unknown"
    assert status.due_on is None
    assert status.days_left is None
    assert "2027" in status.message


def test_override_turns_unknown_light_into_a_real_one(calendar_2027: WorkingCalendar) -> None:
    status = deadline_status(D(2026, 12, 20), 20, [], D(2026, 12, 28), calendar_2027)
    assert status.due_on == D(2027, 1, 15)  # Sat Jan 9 2027 is worked
    assert status.message == "剩余14个工作日"


def test_negative_limit_is_refused() -> None:
    with pytest.raises(InvalidInput):
        deadline_status(D(2026, 3, 2), -1, [], D(2026, 3, 2))


@given(
    start=st.dates(min_value=D(2005, 1, 1), max_value=D(2026, 12, 31)),
    n=st.integers(min_value=0, max_value=60),
)
def test_add_working_days_is_inverse_of_working_days_between(start: date, n: int) -> None:
    try:
        end = add_working_days(start, n)
    except CalendarUnknown:
        reject()
    assert working_days_between(start, end) == n
    assert n == 0 or DEFAULT_CALENDAR.is_working_day(end)
    # No earlier day already reaches n: the due date is the first such day.
    assert n == 0 or working_days_between(start, end - timedelta(1)) == n - 1


@pytest.mark.parametrize(
    ("accepted", "limit", "pauses", "today"),
    [
        (D(2026, 3, 2), 10, [], D(2026, 3, 5)),  # days left
        (D(2026, 3, 2), 0, [], D(2026, 3, 2)),  # due today
        (D(2026, 3, 2), 1, [], D(2026, 3, 10)),  # overdue
        (D(2026, 3, 2), 10, [(D(2026, 3, 3), None)], D(2026, 3, 5)),  # paused
        (D(2026, 12, 20), 20, [], D(2026, 12, 28)),  # due date in an unknown year
        (D(2026, 12, 20), 5, [], D(2027, 1, 4)),  # today in an unknown year
    ],
)
def test_the_wording_a_page_translates_says_what_the_chinese_message_says(
    accepted, limit, pauses, today
) -> None:
    status = deadline_status(accepted, limit, pauses, today)
    assert status.wording is not None and str(status.wording) == status.message
