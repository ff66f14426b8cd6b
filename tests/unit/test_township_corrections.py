"""Corrections (更正) through the township's write path: one `corrected` event with old and new
values, the actor's role and name; the case list finds the case by its corrected name and ID
number; a stale form and an empty correction write nothing; the clerk may not correct a decided
case, the reviewer may."""

from __future__ import annotations

import pytest

from sync import events as ev
from sync.errors import Conflict, InvalidInput, NotAllowed
from sync.events import utc_now
from tests.support.results import CLERK, PROMISED_ITEM, REVIEWER, register
from township_app.casework import casework, corrections
from township_app.stores.store import CaseFilter, Store

NEW_ID = "370613198001010011"


def form(**changes: str) -> casework.ApplicantForm:
    values = {
        "name": "王秀英",
        "id_number": "11010519491231002X",
        "phone": "13905351234",
        "address": "幸福路8号",
        "village_code": "",
    }
    return casework.ApplicantForm(**{**values, **changes})


def correct(store: Store, case_id: str, actor=CLERK, **changes: str):
    state = store.case(case_id)
    return corrections.correct_case(
        store,
        case_id,
        form=form(**changes),
        received=[m["code"] for m in state.materials if m["received"]],
        reason="登记时录入错误",
        seen=state.last_event_id,
        villages=[],
        actor=actor,
        now=utc_now(),
        today=utc_now().date(),
    )


def test_a_correction_is_one_event_with_old_and_new_values_and_the_search_follows(store: Store):
    case_id = register(store, item_code=PROMISED_ITEM)
    state = correct(store, case_id, name="王秀云", id_number=NEW_ID)
    assert state.applicant["name"] == "王秀云" and state.corrections == 1
    event = store.case_events(case_id)[-1]
    assert event.type == ev.CORRECTED and event.actor == "chuangkou"
    assert event.payload["actor_name"] == "王丽" and event.payload["role"] == "clerk"
    assert event.payload["changes"] == [
        {"field": "applicant.name", "old": "王秀英", "new": "王秀云"},
        {"field": "applicant.id_number", "old": "11010519491231002X", "new": NEW_ID},
    ]
    found, _ = store.search_cases(CaseFilter(text="王秀云"), page=1)
    assert [c.case_id for c in found] == [case_id]
    assert store.search_cases(CaseFilter(text="王秀英"), page=1)[0] == []
    by_id, _ = store.search_cases(CaseFilter(text=NEW_ID[-6:]), page=1)
    assert [c.case_id for c in by_id] == [case_id]


def test_a_stale_form_or_nothing_changed_writes_nothing(store: Store):
    case_id = register(store, item_code=PROMISED_ITEM)
    before = store.event_count()
    with pytest.raises(InvalidInput, match="没有需要更正的内容"):
        correct(store, case_id)
    state = store.case(case_id)
    casework.accept_case(store, case_id, CLERK, utc_now())
    with pytest.raises(Conflict, match="已有新的办理记录"):
        corrections.correct_case(
            store, case_id, form=form(name="王秀云"), received=[], reason="x",
            seen=state.last_event_id, villages=[], actor=CLERK, now=utc_now(),
            today=utc_now().date(),
        )  # fmt: skip
    assert store.event_count() == before + 1  # the acceptance only


def test_a_decided_case_is_corrected_by_the_reviewer_not_the_clerk(store: Store):
    case_id = register(store, item_code=PROMISED_ITEM)
    casework.accept_case(store, case_id, CLERK, utc_now())
    casework.complete_case(
        store, case_id, outcome="approved", document_number="", reasons="", note="",
        actor=CLERK, now=utc_now(),
    )  # fmt: skip
    with pytest.raises(NotAllowed, match="更正须由乡镇审核人员进行"):
        correct(store, case_id, phone="13905359999")
    state = correct(store, case_id, actor=REVIEWER, phone="13905359999")
    assert state.applicant["phone"] == "13905359999" and state.state == "completed"
