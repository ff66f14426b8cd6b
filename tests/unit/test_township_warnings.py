"""The township's own warnings, from its local log and the rules it installed: offline, the same
rules as central's, the installed thresholds, a village agency point seeing only its own cases."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sync.deadlines import DEFAULT_CALENDAR
from sync.supervision_rules import SupervisionRules
from tests.support.results import CLERK, PROMISED_ITEM, register
from township_app.casework import casework
from township_app.casework.supervision import own_warnings

MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TUESDAY_AFTER = date(2026, 3, 10)


def test_the_township_warns_of_its_own_late_cases_and_not_of_completed_ones(store) -> None:
    waiting = register(store, item_code=PROMISED_ITEM, now=MONDAY)
    accepted = register(store, item_code=PROMISED_ITEM, now=MONDAY)
    casework.accept_case(store, accepted, CLERK, MONDAY)
    completed = register(store, item_code=PROMISED_ITEM, now=MONDAY)
    casework.accept_case(store, completed, CLERK, MONDAY)
    casework.complete_case(
        store, completed, outcome="approved", document_number="", reasons="", note="",
        actor=CLERK, now=MONDAY,
    )  # fmt: skip
    found = own_warnings(store, TUESDAY_AFTER, DEFAULT_CALENDAR)
    assert {(w.case_id, w.stage, w.level, w.person) for w in found} == {
        (waiting, "acceptance", "red", "chuangkou"),
        (accepted, "limit", "red", "chuangkou"),
    }
    # Wednesday 4 March: 2 of the 3 promised days used, 1 left → yellow; the acceptance decision
    # (2 of 5 days) is still green.
    early = own_warnings(store, date(2026, 3, 4), DEFAULT_CALENDAR)
    assert {(w.case_id, w.stage, w.level) for w in early} == {(accepted, "limit", "yellow")}


def test_the_township_judges_with_the_rules_central_published(store) -> None:
    waiting = register(store, item_code=PROMISED_ITEM, now=MONDAY)
    assert [w.level for w in own_warnings(store, TUESDAY_AFTER, DEFAULT_CALENDAR)] == ["red"]
    rules = SupervisionRules(version="v9", acceptance_days=7)
    store.install_supervision_rules(rules, 1, published_at=None, at="2026-03-01T00:00:00.000Z")
    [warning] = own_warnings(store, TUESDAY_AFTER, DEFAULT_CALENDAR)
    assert (warning.case_id, warning.level) == (waiting, "yellow")


def test_a_village_point_sees_only_its_own_cases_warnings(store) -> None:
    register(store, item_code=PROMISED_ITEM, now=MONDAY)
    assert own_warnings(store, TUESDAY_AFTER, DEFAULT_CALENDAR, agency_code="370613004201") == []
