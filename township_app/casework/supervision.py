"""The township's own warnings (电子监察预警), computed here from the local log, offline.

The same rules as central's (``sync.supervision_rules``), with the thresholds central published
(installed from the feed; the defaults until then) and the rating scale's days for a 差评's task, so
the clerk sees on the home page what central's supervisors see of this township's cases.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sync.deadlines import WorkingCalendar
from sync.events import CHINA_TZ, format_time
from sync.supervision_rules import CaseWarning, case_warnings
from township_app.stores.store import Store

# A final case unchanged for longer than this has no 差评 task or petition that can newly warn.
_CHANGED_WINDOW = timedelta(days=60)


def own_warnings(
    store: Store, today: date, calendar: WorkingCalendar, *, agency_code: str = ""
) -> list[CaseWarning]:
    """Return the warnings of this PC's cases on ``today``, red first, then by due day."""
    rules = store.supervision_rules()
    days = store.rating_scale().rectification_days
    noon = _noon(today)
    found = [
        warning
        for state in store.watched_cases(
            format_time(noon - _CHANGED_WINDOW), agency_code=agency_code
        )
        for warning in case_warnings(state, today, calendar, rules, rectification_days=days)
    ]
    found.sort(key=lambda w: (w.level != "red", w.due_on or today, w.case_number))
    return found


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), CHINA_TZ)
