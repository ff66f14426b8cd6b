"""Periods of the statistics pages (日、周、月、季、年, or any range of days), as first and last day.

Both apps' statistics pages read their kept figures by day, so every period is a range of days;
the long ones are drawn by month. Bad input is refused with a message fit for a person, never
guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sync.errors import N_, InvalidInput

DAY, WEEK, MONTH, QUARTER, YEAR, RANGE = "day", "week", "month", "quarter", "year", "range"
KINDS = (DAY, WEEK, MONTH, QUARTER, YEAR, RANGE)
KIND_LABELS = {
    DAY: N_("日"),
    WEEK: N_("周"),
    MONTH: N_("月"),
    QUARTER: N_("季度"),
    YEAR: N_("年"),
    RANGE: N_("自定义时段"),
}
# A range longer than this is refused: no page sums more than ten years of days.
MAX_DAYS = 3660
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

BAD_KIND = N_("统计周期应为日、周、月、季度、年或自定义时段。")
BAD_DATE = N_("日期请按「2026-12-07」的格式填写：%(value)s")
BAD_RANGE = N_("起始日期不能晚于截止日期。")
TOO_LONG = N_("统计时段最长十年，请缩短时段。")
OUT_OF_YEARS = N_("日期超出可统计的范围（2000 年至 2099 年）：%(value)s")
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True)
class Period:
    """A period of the statistics: its kind, first and last day (both counted)."""

    kind: str
    first: date
    last: date

    @property
    def days(self) -> int:
        """Return how many days the period has."""
        return (self.last - self.first).days + 1

    @property
    def by_month(self) -> bool:
        """Tell whether a trend over the period is drawn by month rather than by day."""
        return self.days > 62

    def each_day(self) -> list[date]:
        """Return every day of the period, in order."""
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def bounds(self) -> tuple[str, str]:
        """Return the first and last day as ISO text (the kept figures' day keys)."""
        return self.first.isoformat(), self.last.isoformat()

    def split(self) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
        """Return the period as ranges of days at its ends and the whole months between
        ("YYYY-MM", first and last; None when no month is whole): a long period is summed from
        the monthly figures, and only its odd days at either end from the daily ones."""
        start = self.first if self.first.day == 1 else _next_month(self.first)
        end = _next_month(self.last) - timedelta(days=1)
        end = self.last if self.last == end else self.last.replace(day=1) - timedelta(days=1)
        if start > end:  # no whole month inside
            return [self.bounds()], None
        days = []
        if self.first < start:
            days.append((self.first.isoformat(), (start - timedelta(days=1)).isoformat()))
        if end < self.last:
            days.append(((end + timedelta(days=1)).isoformat(), self.last.isoformat()))
        return days, (start.isoformat()[:7], end.isoformat()[:7])

    def months(self) -> tuple[str, str]:
        """Return the first and last month ("YYYY-MM") the period touches."""
        return self.first.isoformat()[:7], self.last.isoformat()[:7]


def _next_month(day: date) -> date:
    """Return the first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def parse_day(raw: str) -> date:
    """Return the day written as YYYY-MM-DD, or refuse it."""
    raw = raw.strip()
    if not _DATE.fullmatch(raw):
        raise InvalidInput(BAD_DATE, field="day", value=raw[:20])
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(BAD_DATE, field="day", value=raw[:20]) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(OUT_OF_YEARS, field="day", value=raw[:20])
    return day


def period_of(kind: str, day: date) -> Period:
    """Return the day, week (Monday to Sunday), month, quarter or year that holds ``day``."""
    if kind == DAY:
        return Period(kind, day, day)
    if kind == WEEK:
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == MONTH:
        first = day.replace(day=1)
    elif kind == QUARTER:
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    elif kind == YEAR:
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    else:
        raise InvalidInput(BAD_KIND, field="period")
    following = _next_month(first)
    if kind == QUARTER:
        following = _next_month(_next_month(following))
    return Period(kind, first, following - timedelta(days=1))


def parse_period(kind: str, day: str, first: str, last: str, today: date) -> Period:
    """Return the period a statistics form asks for (default: this month), or refuse it."""
    kind = kind.strip() or MONTH
    if kind not in KINDS:
        raise InvalidInput(BAD_KIND, field="period")
    if kind == RANGE:
        start = parse_day(first) if first.strip() else today.replace(day=1)
        end = parse_day(last) if last.strip() else today
        if start > end:
            raise InvalidInput(BAD_RANGE, field="from")
        if (end - start).days >= MAX_DAYS:
            raise InvalidInput(TOO_LONG, field="from")
        return Period(RANGE, start, end)
    return period_of(kind, parse_day(day) if day.strip() else today)


def shifted(period: Period, steps: int) -> Period:
    """Return the period ``steps`` before (negative) or after this one, of the same kind."""
    if period.kind == RANGE:
        length = timedelta(days=period.days * steps)
        return Period(RANGE, period.first + length, period.last + length)
    if steps < 0:
        return period_of(period.kind, period.first - timedelta(days=1))
    return period_of(period.kind, period.last + timedelta(days=1))
