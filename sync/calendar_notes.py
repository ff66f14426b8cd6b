"""The timeline note of a due date recomputed when a year's official calendar arrived.

A case accepted in December may be due in a year whose holiday arrangement is not published yet; its
due date is then provisional (``sync.provisional_calendar``, shown as 暂定). When central publishes
that year, every page recomputes the date at once. The case's timeline then says what changed:
"the due date moved from X to Y because the official calendar of the year arrived".

The note is derived, not an event: a due date is never stored in the log (each end folds it from the
acceptance, the pauses and the calendar), nobody acted, and each end learns of the calendar at its
own moment (central when it publishes, a township PC when the feed reaches it). So the note is
computed from the case, the calendar and the moment that end installed the year, the same way the
due date itself is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sync.case_clock import case_pauses
from sync.case_state import CaseState
from sync.deadlines import WorkingCalendar, due_date
from sync.errors import CalendarUnknown
from sync.events import CHINA_TZ, parse_time


@dataclass(frozen=True)
class DueDateChange:
    """A due date as it was on the provisional calendar, and as the official one makes it."""

    year: int  # the year whose official calendar arrived
    at: str  # when it arrived here (UTC ISO-8601), where the note stands in the timeline
    source: str  # the notice's title
    before: date  # the provisional due date (暂定)
    after: date | None  # the due date now (None if it runs into a year still unknown)

    @property
    def changed(self) -> bool:
        """Tell whether the official calendar moved the date."""
        return self.before != self.after


def due_date_changes(
    state: CaseState, calendar: WorkingCalendar, arrivals: Mapping[int, str], today: date
) -> list[DueDateChange]:
    """Return a note for every year whose official calendar arrived (``arrivals``: year → UTC
    time it was installed) while the case's due date rested on that year provisionally."""
    if state.accepted_on is None or not calendar.provisional:
        return []
    limit = int(state.item.get("promised_days") or 0)
    if limit <= 0:
        return []  # an immediate item has no due date to recompute
    accepted = date.fromisoformat(state.accepted_on)
    completed = date.fromisoformat(state.completed_on) if state.completed_on else None
    end = completed or today
    pauses = case_pauses(state)
    notes = []
    for year, at in sorted(arrivals.items()):
        official = calendar.override(year)
        if official is None:
            continue
        arrived_on = parse_time(at).astimezone(CHINA_TZ).date()
        # Accepted once the year was known, or finished before it came: never provisional here.
        if accepted > arrived_on or (completed is not None and completed < arrived_on):
            continue
        before_calendar = calendar.without(year)
        try:
            before = due_date(accepted, limit, pauses, end, before_calendar)
        except CalendarUnknown:
            continue
        if not (accepted.year <= year <= before.year and before_calendar.is_provisional(year)):
            continue
        try:
            after: date | None = due_date(accepted, limit, pauses, end, calendar)
        except CalendarUnknown:
            after = None
        notes.append(DueDateChange(year, at, official.source, before, after))
    return notes
