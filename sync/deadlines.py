"""Working days on the Chinese calendar, due dates of promised items, and the deadline lights.

Working days exclude weekends and statutory holidays and include the adjusted working weekends
(调休) of the State Council's yearly notice. Years 2004–2026 come from the ``chinesecalendar``
package; the central server publishes a ``YearCalendar`` for a year the package does not know yet
(or to correct one), and that override replaces the package for its whole year. A year known to
neither raises ``CalendarUnknown``: a due date guessed from weekends is wrong at every holiday. The
pages ask for a calendar that is ``provisional`` instead: such a year is then computed from the
statutory holidays (``sync.provisional_calendar``) and every date that depends on it says 暂定.

Counting follows Civil Code art. 201: the day of acceptance is not counted, so N working days from
acceptance end on the N-th working day after it. Time awaiting a supplement after acceptance does
not count either (a pause runs from the day after the request to the day the materials arrive).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

from sync import provisional_calendar
from sync.errors import N_, CalendarUnknown, DomainError, InvalidInput

# (day the supplement was requested, day it was received or None while still awaited)
Pause = tuple[date, date | None]

_ONE_DAY = timedelta(days=1)
# date.fromisoformat also takes "20270101" and week dates; the feed must be unambiguous.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_KEYS = ("year", "version", "source", "holidays", "workdays")
# The last year of the package's own table (its data is updated by hand after each notice).
_PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year


def _is_int(value: object) -> bool:
    """Tell whether ``value`` is an int and not a bool (JSON true would pass isinstance)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class YearCalendar:
    """One year's holiday arrangement as published by the central server."""

    year: int
    holidays: frozenset[date]  # rest days as the notice lists them (Mon–Fri ones matter)
    workdays: frozenset[date]  # adjusted working weekends (调休): Saturdays or Sundays worked
    source: str  # the notice's title, shown to staff so they can check it
    version: int  # a later version of the same year replaces an earlier one

    def __post_init__(self) -> None:
        # Coerce so that callers may pass sets or lists; the dataclass stays hashable.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        if not _is_int(self.year) or not 2000 <= self.year <= 2999:
            raise InvalidInput(
                N_("工作日历的年份应为2000至2999之间的整数，收到的是“%(value)s”。"),
                field="year",
                value=self.year,
            )
        if not _is_int(self.version) or self.version < 1:
            raise InvalidInput(
                N_("工作日历的版本号应为正整数，收到的是“%(value)s”。"),
                field="version",
                value=self.version,
            )
        if not isinstance(self.source, str) or not self.source.strip():
            raise InvalidInput(
                N_("工作日历应注明来源（如国务院办公厅通知的标题）。"), field="source"
            )
        for key, days in (("holidays", self.holidays), ("workdays", self.workdays)):
            for day in sorted(days):
                if day.year != self.year:
                    raise InvalidInput(
                        N_("%(date)s不在%(year)s年内，不能列入该年的工作日历。"),
                        field=key,
                        date=day.isoformat(),
                        year=self.year,
                    )
        both = sorted(self.holidays & self.workdays)
        if both:
            raise InvalidInput(
                N_("%(date)s同时被列为放假日和调休上班日。"),
                field="workdays",
                date=both[0].isoformat(),
            )
        for day in sorted(self.workdays):
            if day.weekday() < 5:
                raise InvalidInput(
                    N_("调休上班日%(date)s不是周六或周日；平常的周一至周五无需列出。"),
                    field="workdays",
                    date=day.isoformat(),
                )

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> YearCalendar:
        """Build a year calendar from its JSON form, refusing anything malformed."""
        if not isinstance(d, Mapping):
            raise InvalidInput(N_("工作日历的格式不正确：应为一个JSON对象。"))
        for key in _YEAR_KEYS:
            if key not in d:
                raise InvalidInput(N_("工作日历缺少“%(key)s”项。"), field=key, key=key)
        # Unknown keys are ignored, so that a later server may add fields without cutting off
        # older township PCs from next year's calendar.
        # year, source and version are checked in __post_init__, like any directly built one.
        return cls(
            year=d["year"],
            holidays=_parse_dates(d["holidays"], "holidays"),
            workdays=_parse_dates(d["workdays"], "workdays"),
            source=d["source"],
            version=d["version"],
        )

    def to_dict(self) -> dict[str, object]:
        """Return the JSON form that from_dict reads."""
        return {
            "year": self.year,
            "version": self.version,
            "source": self.source,
            "holidays": [day.isoformat() for day in sorted(self.holidays)],
            "workdays": [day.isoformat() for day in sorted(self.workdays)],
        }

    def is_working_day(self, d: date) -> bool:
        """Tell whether ``d``, a day of this year, is a working day."""
        if d.year != self.year:
            raise ValueError(f"{d} is not in {self.year}")
        return d in self.workdays or (d.weekday() < 5 and d not in self.holidays)


def _parse_dates(value: object, key: str) -> frozenset[date]:
    """Return the dates of a list of ISO date strings, refusing anything else."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput(N_("工作日历的“%(key)s”应为日期列表。"), field=key, key=key)
    days = set()
    for item in value:
        if not isinstance(item, str) or not _ISO_DATE.match(item):
            raise InvalidInput(
                N_("工作日历的“%(key)s”中“%(value)s”不是YYYY-MM-DD格式的日期。"),
                field=key,
                key=key,
                value=item,
            )
        try:
            days.add(date.fromisoformat(item))
        except ValueError:
            raise InvalidInput(
                N_("工作日历的“%(key)s”中“%(value)s”不是真实存在的日期。"),
                field=key,
                key=key,
                value=item,
            ) from None
    return frozenset(days)


class WorkingCalendar:
    """The package's calendar with the central server's overrides laid over whole years, and,
    when ``provisional``, the statutory holidays for a year that neither knows."""

    def __init__(
        self, overrides: Iterable[YearCalendar] = (), *, provisional: bool = False
    ) -> None:
        self.provisional = provisional
        chosen: dict[int, YearCalendar] = {}
        for override in overrides:
            held = chosen.get(override.year)
            # A lower version never wins, so a replayed old notice cannot undo a correction.
            if held is None or override.version >= held.version:
                chosen[override.year] = override
        self._overrides = chosen
        # The case list asks about the same few dozen days for every row.
        self._cache: dict[date, bool] = {}

    def is_working_day(self, d: date) -> bool:
        """Tell whether ``d`` is a working day, or raise CalendarUnknown for an unknown year."""
        try:
            return self._cache[d]
        except KeyError:
            pass
        override = self._overrides.get(d.year)
        if override is not None:
            working = override.is_working_day(d)
        else:
            try:
                working = chinese_calendar.is_workday(d)
            except NotImplementedError:
                if not self.is_provisional(d.year):
                    raise CalendarUnknown(d.year) from None
                working = d.weekday() < 5 and d not in provisional_calendar.days_off(d.year)
        self._cache[d] = working
        return working

    def is_provisional(self, year: int) -> bool:
        """Tell whether ``year``'s working days are the provisional ones (暂定)."""
        return (
            self.provisional
            and year not in self._overrides
            and year > _PACKAGE_LAST_YEAR
            and provisional_calendar.covers(year)
        )

    def provisional_between(self, a: date, b: date) -> bool:
        """Tell whether a count over the days from ``a`` to ``b`` touches a provisional year."""
        low, high = min(a, b), max(a, b)
        return any(self.is_provisional(year) for year in range(low.year, high.year + 1))

    def known_years(self) -> list[int]:
        """Return the years whose working days are known, in order."""
        # The package decides its own range from the span of its holiday table.
        package = range(
            min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1
        )
        return sorted(set(package) | set(self._overrides))

    def override(self, year: int) -> YearCalendar | None:
        """Return the override in force for ``year``, if any."""
        return self._overrides.get(year)

    def with_override(self, y: YearCalendar) -> WorkingCalendar:
        """Return a new calendar with ``y`` laid over its year (unless a later version is held)."""
        return WorkingCalendar([*self._overrides.values(), y], provisional=self.provisional)

    def without(self, year: int) -> WorkingCalendar:
        """Return the calendar as it was before ``year`` was published (provisional or unknown)."""
        kept = [y for y in self._overrides.values() if y.year != year]
        return WorkingCalendar(kept, provisional=self.provisional)


DEFAULT_CALENDAR = WorkingCalendar()


def working_days_between(a: date, b: date, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> int:
    """Count the working days after ``a`` up to and including ``b`` (negative when b < a)."""
    if b < a:
        return -working_days_between(b, a, calendar)
    count = 0
    day = a + _ONE_DAY
    while day <= b:
        count += calendar.is_working_day(day)
        day += _ONE_DAY
    return count


def add_working_days(start: date, n: int, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> date:
    """Return the n-th working day after ``start`` (``start`` itself when n is 0)."""
    if n < 0:
        raise InvalidInput(N_("工作日数不能为负数（收到%(n)s）。"), field="limit_days", n=n)
    day = start
    while n:
        day += _ONE_DAY
        if calendar.is_working_day(day):
            n -= 1
    return day


def paused_working_days(
    pauses: Iterable[Pause], today: date, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> int:
    """Count the working days the clock stood still while awaiting supplements."""
    total = 0
    for start, end in pauses:
        if end is None:
            # A pause still open runs until today; one recorded for a later day has not begun.
            end = max(start, today)
        elif end < start:
            raise InvalidInput(
                N_("补正材料的收到日期%(end)s早于告知日期%(start)s。"),
                field="pauses",
                start=start.isoformat(),
                end=end.isoformat(),
            )
        total += working_days_between(start, end, calendar)
    return total


def due_date(
    accepted_on: date,
    limit_days: int,
    pauses: Iterable[Pause],
    today: date,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> date:
    """Return the day a promised item is due, pushed back by the paused working days."""
    return add_working_days(
        accepted_on, limit_days + paused_working_days(pauses, today, calendar), calendar
    )


@dataclass(frozen=True)
class Wording:
    """A text kept as its catalogue template and values, so that each page can say it in its own
    language; ``str()`` gives the Chinese. A value may be a wording itself."""

    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, error: DomainError) -> Wording:
        """Return what a refusal says, as a wording."""
        return cls(error.template, error.params)

    def __str__(self) -> str:
        if not self.params:
            return self.template
        return self.template % {
            k: str(v) if isinstance(v, Wording) else v for k, v in self.params.items()
        }


@dataclass(frozen=True)
class DeadlineStatus:
    """A case's deadline light and the short text shown beside it."""

    light: str  # "green" | "yellow" | "red" | "paused" | "unknown"
    due_on: date | None  # None while the due date falls in a year whose calendar is unknown
    days_used: int  # 0 when the light is "unknown"
    days_left: int | None  # negative when overdue; None when the light is "unknown"
    message: str  # the text in Chinese (the public API and the command line show it)
    wording: Wording | None = field(default=None, compare=False)  # the same, for the pages
    # True when a count or the due date rests on a provisional year (shown as 暂定).
    provisional: bool = False
    # One short phrase for a list's deadline column («剩3个工作日», «2月10日到期（暂定）»); the
    # message above goes to the cell's title and the case page.
    phrase: Wording | None = field(default=None, compare=False)


def deadline_status(
    accepted_on: date,
    limit_days: int,
    pauses: Iterable[Pause],
    today: date,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
    *,
    yellow_percent: int = 80,
    yellow_days_left: int = 1,
) -> DeadlineStatus:
    """Compute a case's deadline light on ``today``: yellow once ``yellow_percent`` of the limit
    is used or ``yellow_days_left`` working days are left (the published supervision rules may
    change both), red when overdue."""
    if limit_days < 0:
        raise InvalidInput(
            N_("承诺时限不能为负数（收到%(n)s）。"), field="limit_days", n=limit_days
        )
    pauses = list(pauses)
    try:
        elapsed = working_days_between(accepted_on, today, calendar)
        paused = paused_working_days(pauses, today, calendar)
    except CalendarUnknown as unknown:
        said = Wording.of(unknown)
        return DeadlineStatus(
            "unknown", None, 0, None, str(said), said, phrase=Wording(N_("到期日待定"))
        )
    used = max(0, elapsed - paused)
    left = limit_days - used
    try:
        due_on: date | None = add_working_days(accepted_on, limit_days + paused, calendar)
        due_unknown = None
    except CalendarUnknown as unknown:
        due_on, due_unknown = None, unknown

    if any(end is None for _, end in pauses):
        light = "paused"
        if left < 0:
            message = Wording(N_("暂停计时（等待补正），已超期%(n)s个工作日"), {"n": -left})
        else:
            message = Wording(N_("暂停计时（等待补正），剩余%(n)s个工作日"), {"n": left})
    else:
        if left < 0:
            light = "red"
        # Integer form of "80 % of the limit used", so no rounding decides a colour.
        elif left <= yellow_days_left or used * 100 >= limit_days * yellow_percent:
            light = "yellow"
        else:
            light = "green"
        if left < 0:
            message = Wording(N_("已超期%(n)s个工作日"), {"n": -left})
        elif left == 0 and due_on == today:
            message = Wording(N_("今日到期"))
        elif left == 0 and due_on is not None:
            # Today is a rest day after the due day: not overdue until the next working day.
            message = Wording(N_("已于%(due)s到期"), {"due": due_on.isoformat()})
        else:
            message = Wording(N_("剩余%(n)s个工作日"), {"n": left})
    if due_unknown is not None:
        message = Wording(
            N_("%(status)s；到期日暂无法计算：%(reason)s"),
            {"status": message, "reason": Wording.of(due_unknown)},
        )
    provisional = calendar.provisional_between(accepted_on, max(today, due_on or today))
    if provisional and due_on is not None:
        message = Wording(
            N_("%(status)s；到期日%(due)s为暂定（以国务院办公厅公布的放假安排为准）"),
            {"status": message, "due": due_on.isoformat()},
        )
    elif provisional:
        message = Wording(N_("%(status)s（暂定）"), {"status": message})
    phrase = _phrase(light, due_on, left, today, provisional)
    return DeadlineStatus(light, due_on, used, left, str(message), message, provisional, phrase)


def _phrase(light: str, due_on: date | None, left: int, today: date, provisional: bool) -> Wording:
    """Return the short phrase of a deadline column."""
    if light == "paused":
        return Wording(N_("暂停计时"))
    if provisional and due_on is not None and left >= 0 and due_on > today:
        return Wording(N_("%(m)s月%(d)s日到期（暂定）"), {"m": due_on.month, "d": due_on.day})
    if left < 0:
        said = Wording(N_("逾期%(n)s个工作日"), {"n": -left})
    elif left == 0 and due_on == today:
        said = Wording(N_("今日到期"))
    elif left == 0 and due_on is not None:
        said = Wording(N_("%(m)s月%(d)s日已到期"), {"m": due_on.month, "d": due_on.day})
    elif due_on is None:
        return Wording(N_("剩%(n)s个工作日，到期日待定"), {"n": left})
    else:
        said = Wording(N_("剩%(n)s个工作日"), {"n": left})
    return Wording(N_("%(status)s（暂定）"), {"status": said}) if provisional else said
