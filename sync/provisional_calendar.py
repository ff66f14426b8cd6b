"""A provisional working-day calendar for a year whose holiday arrangement is not published yet.

The State Council's yearly notice (usually in November) fixes next year's days off and the worked
weekends (调休). Until it reaches the PCs, a due date in that year is computed from the statutory
holidays of 《全国年节及纪念日放假办法》 as last revised (2024 revision, in force from 2025):

- 元旦 1 day (January 1); 春节 4 days (除夕 to 正月初三); 清明 1 day (the day of the 清明 solar
  term); 劳动节 2 days (May 1–2); 端午 1 day (五月初五); 中秋 1 day (八月十五); 国庆 3 days
  (October 1–3);
- art. 6: a holiday of all citizens that falls on a Saturday or Sunday is made up (补假) on the
  next working day;
- no worked weekends: the notice's 调休 cannot be foreseen, so none is guessed.

The lunar dates and the solar term come from ``lunar_python``. Dates from this calendar are marked
暂定 everywhere, and give way to the official calendar as soon as central publishes it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from lunar_python import Lunar, Solar

# The revision whose rules this module follows took effect on 2025-01-01; earlier years are known
# to the ``chinesecalendar`` package. The lunar tables are trusted up to 2100.
FIRST_YEAR = 2025
LAST_YEAR = 2100
SOURCE = "按《全国年节及纪念日放假办法》推算的暂定安排（以国务院办公厅公布的放假安排为准）"

_ONE_DAY = timedelta(days=1)


def covers(year: int) -> bool:
    """Tell whether a provisional calendar can be computed for ``year``."""
    return FIRST_YEAR <= year <= LAST_YEAR


def _solar(s: Solar) -> date:
    return date(s.getYear(), s.getMonth(), s.getDay())


def statutory_holidays(year: int) -> dict[date, str]:
    """Return the statutory holidays of ``year`` with the festival each belongs to."""
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    new_year = _solar(Lunar.fromYmd(year, 1, 1).getSolar())  # 正月初一
    for offset in range(-1, 3):  # 除夕 (the day before, whether 腊月 has 29 days or 30) to 初三
        days[new_year + timedelta(days=offset)] = "春节"
    # The solar terms of the lunar year that holds mid-April include that spring's 清明.
    qingming = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    days[_solar(qingming)] = "清明节"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "劳动节"
    days[_solar(Lunar.fromYmd(year, 5, 5).getSolar())] = "端午节"
    days[_solar(Lunar.fromYmd(year, 8, 15).getSolar())] = "中秋节"
    for day in (1, 2, 3):
        days[date(year, 10, day)] = "国庆节"
    # Every one of them is a festival of ``year`` (除夕 falls in January at the earliest).
    return {day: name for day, name in days.items() if day.year == year}


def make_up_days(holidays: dict[date, str]) -> dict[date, str]:
    """Return the working days given off because a holiday fell on a weekend (art. 6 补假)."""
    off = set(holidays)
    made_up: dict[date, str] = {}
    for day in sorted(holidays):
        if day.weekday() < 5:
            continue
        # The first weekday after the run of days off that holds this holiday.
        candidate = day + _ONE_DAY
        while candidate in off or candidate.weekday() >= 5:
            candidate += _ONE_DAY
        off.add(candidate)
        made_up[candidate] = holidays[day]
    return made_up


@lru_cache(maxsize=16)
def days_off(year: int) -> frozenset[date]:
    """Return the provisional days off of ``year`` (raise ValueError for a year not covered)."""
    if not covers(year):
        raise ValueError(f"no provisional calendar for {year}")
    holidays = statutory_holidays(year)
    # A make-up day of late December would fall in January; no festival is that late, but the
    # year's list keeps only its own days all the same.
    return frozenset(day for day in (*holidays, *make_up_days(holidays)) if day.year == year)
