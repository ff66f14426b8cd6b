"""Open green-channel cases come first in the township's lists and queues, read in index order."""

from __future__ import annotations

from sync.events import utc_now
from tests.support.results import REVIEWER, register
from township_app.casework import casework, fees
from township_app.stores.cases import PRIORITY
from township_app.stores.store import CaseFilter


def test_the_case_list_reads_green_cases_first_through_the_priority_index(store):
    plan = " ".join(
        row[3]
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT state_json FROM cases"
            f" ORDER BY {PRIORITY} DESC, registered_at DESC, case_id LIMIT 21"
        )
    )
    assert "INDEX cases_priority" in plan


def test_an_open_green_case_goes_first_and_a_finished_one_goes_back_to_its_place(store):
    ids = [register(store, item_code="370613-MZ-003") for _ in range(3)]
    listed = [s.case_id for s in store.search_cases(CaseFilter())[0]]
    assert listed == ids[::-1]
    fees.grant_green_channel(store, ids[0], reason="急难情况", actor=REVIEWER, now=utc_now())
    assert [s.case_id for s in store.search_cases(CaseFilter())[0]] == [ids[0], ids[2], ids[1]]
    assert [s.case_id for s in store.cases_in_state("draft")] == [ids[0], ids[1], ids[2]]
    drafts = store.search_cases(CaseFilter(state="draft"))[0]
    assert [s.case_id for s in drafts] == [ids[0], ids[2], ids[1]]
    casework.withdraw_case(store, ids[0], "申请人不再需要", casework.Actor(
        "chuangkou", "clerk", "370613004"), utc_now())  # fmt: skip
    assert [s.case_id for s in store.search_cases(CaseFilter())[0]] == ids[::-1]
