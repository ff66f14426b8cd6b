"""A case's clock: when it is due and which deadline light it shows, from its folded state."""

from __future__ import annotations

from datetime import date

from sync.clock_rules import all_pauses, closed_pauses, excluded_message, limit_days
from sync.deadlines import (
    DEFAULT_CALENDAR,
    DeadlineStatus,
    Pause,
    WorkingCalendar,
    add_working_days,
    deadline_status,
    paused_working_days,
)
from sync.errors import CalendarUnknown
from sync.fold import ACCEPTED, FORWARDED, IN_REVIEW, SUPPLEMENT_REQUESTED, CaseState

# States in which the promised limit is counting, or paused while a supplement is awaited.
_CLOCKED = (ACCEPTED, IN_REVIEW, FORWARDED, SUPPLEMENT_REQUESTED)


def case_pauses(state: CaseState) -> list[Pause]:
    """Return the case's pauses as dates: the supplements' and the excluded times' (特别程序)."""
    return all_pauses(state)


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
    status = deadline_status(
        date.fromisoformat(state.accepted_on),
        limit_days(state),  # the promised days with the approved extensions (延期)
        case_pauses(state),
        today,
        calendar,
        yellow_percent=yellow_percent,
        yellow_days_left=yellow_days_left,
    )
    return excluded_message(status, state)


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
    is not published yet (the receipt then states the limit in working days only). An approved
    extension and a finished excluded time (特别程序) move it; a supplement's pause does not (the
    applicant knows when they brought the materials)."""
    if state.accepted_on is None:
        return None
    try:
        accepted = date.fromisoformat(state.accepted_on)
        excluded = paused_working_days(closed_pauses(state), accepted, calendar)
        return add_working_days(accepted, limit_days(state) + excluded, calendar)
    except CalendarUnknown:
        return None
