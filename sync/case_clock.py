"""A case's clock: when it is due and which deadline light it shows, from its folded state."""

from __future__ import annotations

from datetime import date

from sync.deadlines import (
    DEFAULT_CALENDAR,
    DeadlineStatus,
    Pause,
    WorkingCalendar,
    add_working_days,
    deadline_status,
)
from sync.errors import CalendarUnknown
from sync.fold import ACCEPTED, FORWARDED, IN_REVIEW, SUPPLEMENT_REQUESTED, CaseState

# States in which the promised limit is counting, or paused while a supplement is awaited.
_CLOCKED = (ACCEPTED, IN_REVIEW, FORWARDED, SUPPLEMENT_REQUESTED)


def case_pauses(state: CaseState) -> list[Pause]:
    """Return the case's supplement pauses as dates."""
    return [
        (date.fromisoformat(start), date.fromisoformat(end) if end else None)
        for start, end in state.pauses
    ]


def case_deadline(
    state: CaseState,
    today: date,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
    *,
    yellow_percent: int = 80,
    yellow_days_left: int = 1,
) -> DeadlineStatus | None:
    """Return the deadline light of a case whose clock has started and is not finished."""
    if state.accepted_on is None or state.state not in _CLOCKED:
        return None
    return deadline_status(
        date.fromisoformat(state.accepted_on),
        int(state.item["promised_days"]),
        case_pauses(state),
        today,
        calendar,
        yellow_percent=yellow_percent,
        yellow_days_left=yellow_days_left,
    )


def promised_is_provisional(
    state: CaseState, promised_on: date | None, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> bool:
    """Tell whether the promised completion date rests on a provisional year (暂定)."""
    if state.accepted_on is None or promised_on is None:
        return False
    return calendar.provisional_between(date.fromisoformat(state.accepted_on), promised_on)


def promised_completion(
    state: CaseState, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> date | None:
    """Return the promised completion date printed on the receipt, or None if the year's calendar
    is not published yet (the receipt then states the limit in working days only)."""
    if state.accepted_on is None:
        return None
    try:
        return add_working_days(
            date.fromisoformat(state.accepted_on), int(state.item["promised_days"]), calendar
        )
    except CalendarUnknown:
        return None
