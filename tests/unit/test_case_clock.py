"""A case's clock from its folded state: lights, pauses and the promised date."""

from __future__ import annotations

from datetime import date, timedelta

from sync import events as ev
from sync import fold
from sync.case_clock import case_deadline, promised_completion
from tests.unit.casefactory import CaseLog, registered_payload

SUPPLEMENT = {"missing": [{"code": "M01", "name": "身份证"}]}


def accepted_case(kind: str = "promised") -> CaseLog:
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload(kind))
    log.add(ev.ACCEPTED)  # accepted on Monday 2026-03-02
    return log


def test_clock_has_not_started_before_acceptance():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    assert case_deadline(fold.fold(log.events), date(2026, 3, 20)) is None


def test_promised_case_is_green_then_yellow_then_red():
    state = fold.fold(accepted_case().events)  # promised limit: 5 working days
    assert promised_completion(state) == date(2026, 3, 9)
    assert case_deadline(state, date(2026, 3, 3)).light == "green"
    assert case_deadline(state, date(2026, 3, 6)).light == "yellow"  # 4 of 5 used
    assert case_deadline(state, date(2026, 3, 10)).light == "red"


def test_paused_clock_shows_paused_and_moves_the_due_date():
    log = accepted_case()
    log.add(ev.SUPPLEMENT_REQUESTED, SUPPLEMENT, after=timedelta(days=1))  # Tuesday
    state = fold.fold(log.events)
    assert case_deadline(state, date(2026, 3, 5)).light == "paused"
    log.add(ev.SUPPLEMENT_RECEIVED, {"materials": []}, after=timedelta(days=7))  # next Tuesday
    resumed = fold.fold(log.events)
    status = case_deadline(resumed, date(2026, 3, 10))
    assert status.light == "green"
    assert status.due_on == date(2026, 3, 16)  # 5 working days paused


def test_finished_cases_show_no_light():
    log = accepted_case()
    log.add(ev.COMPLETED, {"outcome": "approved"})
    assert case_deadline(fold.fold(log.events), date(2026, 3, 20)) is None


def test_promised_date_unknown_when_next_years_calendar_is_not_published():
    log = CaseLog()
    log.moment = log.moment.replace(year=2026, month=12, day=20)
    log.add(ev.REGISTERED, registered_payload("forwarded"))
    log.add(ev.ACCEPTED)
    state = fold.fold(log.events)  # 20 working days from 2026-12-21 run into 2027
    assert promised_completion(state) is None
    assert case_deadline(state, date(2026, 12, 22)).due_on is None
