"""The case state machine: a pure fold that accepts valid histories and refuses the rest clearly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import events as ev
from sync import fold
from sync.errors import DomainError, InvalidInput, NotAllowed
from tests.unit.casefactory import CaseLog, registered_payload

SUPPLEMENT = {"missing": [{"code": "M01", "name": "身份证"}], "note": "请5个工作日内补齐"}
FORWARD = {"opinion": "情况属实，同意上报。", "conclusion": "agree", "to_org": "370613"}
COMPLETE = {"outcome": "approved", "document_number": "莱民〔2026〕1号", "reasons": "", "note": ""}


def folded(log: CaseLog) -> fold.CaseState:
    return fold.fold(log.events)


def test_registration_makes_a_draft_held_by_the_registering_unit():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    state = folded(log)
    assert state.state == fold.DRAFT
    assert state.holder_code == "370613004"
    assert state.accepted_on is None
    assert state.event_count == 1


def test_promised_case_runs_from_acceptance_to_completion():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload("promised"))
    log.add(ev.ACCEPTED)
    log.add(ev.COMPLETED, COMPLETE, after=timedelta(days=2))
    state = folded(log)
    assert state.state == fold.COMPLETED
    assert state.accepted_on == "2026-03-02"
    assert state.completed_on == "2026-03-04"
    assert state.result["document_number"] == "莱民〔2026〕1号"


def test_forwarded_item_goes_to_preliminary_review_then_to_the_parent_unit():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload("forwarded"))
    log.add(ev.ACCEPTED)
    assert folded(log).state == fold.IN_REVIEW
    log.add(ev.FORWARDED, FORWARD)
    state = folded(log)
    assert state.state == fold.FORWARDED
    assert state.holder_code == "370613"
    assert state.opinion["opinion"] == "情况属实，同意上报。"


def test_supplement_before_acceptance_does_not_start_the_clock():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload(complete=False))
    log.add(ev.SUPPLEMENT_REQUESTED, SUPPLEMENT)
    state = folded(log)
    assert state.state == fold.SUPPLEMENT_REQUESTED
    assert state.pauses == ()
    log.add(
        ev.SUPPLEMENT_RECEIVED,
        {"materials": [{"code": "M01", "files": []}]},
        after=timedelta(days=3),
    )
    state = folded(log)
    assert state.state == fold.DRAFT
    assert state.materials[0]["received"] is True
    log.add(ev.ACCEPTED)
    # Art. 32: the case counts as accepted from the day the materials came, not the first visit.
    assert folded(log).accepted_on == "2026-03-05"


def test_supplement_after_acceptance_pauses_the_clock_until_materials_come():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload("forwarded"))
    log.add(ev.ACCEPTED)
    log.add(ev.SUPPLEMENT_REQUESTED, SUPPLEMENT, after=timedelta(days=1))
    state = folded(log)
    assert state.pauses == (("2026-03-03", None),)
    log.add(
        ev.SUPPLEMENT_RECEIVED,
        {"materials": [{"code": "M01", "files": []}]},
        after=timedelta(days=2),
    )
    state = folded(log)
    assert state.state == fold.IN_REVIEW  # back where it was
    assert state.pauses == (("2026-03-03", "2026-03-05"),)


@pytest.mark.parametrize(
    ("history", "event_type", "payload", "message"),
    [
        ([], ev.ACCEPTED, {}, "办件尚未登记"),
        ([ev.REGISTERED], ev.REGISTERED, None, "已经登记过了"),
        ([ev.REGISTERED], ev.FORWARDED, FORWARD, "不能「初审并上报」"),
        ([ev.REGISTERED], ev.COMPLETED, COMPLETE, "不能「办结」"),
        ([ev.REGISTERED, ev.ACCEPTED], ev.ACCEPTED, {}, "当前状态为「办理中」，不能「受理」"),
        ([ev.REGISTERED, ev.ACCEPTED], ev.REFUSED, {"reason": "x"}, "不能「不予受理」"),
        ([ev.REGISTERED, (ev.REFUSED, {"reason": "不符合条件"})], ev.ACCEPTED, {}, "不予受理"),
        ([ev.REGISTERED, (ev.WITHDRAWN, {"reason": "本人撤回"})], ev.ACCEPTED, {}, "已撤回"),
    ],
)
def test_event_not_allowed_in_the_current_state_is_refused_with_a_reason(
    history, event_type, payload, message
):
    log = CaseLog()
    for step in history:
        step_type, step_payload = step if isinstance(step, tuple) else (step, None)
        log.add(
            step_type, step_payload or (registered_payload() if step_type == ev.REGISTERED else {})
        )
    state = fold.fold(log.events) if log.events else None
    event = log.add(event_type, payload if payload is not None else registered_payload())
    with pytest.raises(NotAllowed, match=message):
        fold.apply_event(state, event)


@pytest.mark.parametrize(
    ("event_type", "payload", "message"),
    [
        (ev.REFUSED, {"reason": "  "}, "不予受理必须说明理由"),
        (ev.SUPPLEMENT_REQUESTED, {"missing": []}, "一次性告知必须列明所有需要补正的材料"),
        (
            ev.SUPPLEMENT_REQUESTED,
            {"missing": [{"code": "M99", "name": "x"}]},
            "没有编码为 M99 的材料",
        ),
        (ev.WITHDRAWN, {}, "撤回申请须记录原因"),
    ],
)
def test_decision_without_its_required_content_is_refused(event_type, payload, message):
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    event = log.add(event_type, payload)
    with pytest.raises(InvalidInput, match=message):
        fold.apply_event(fold.fold(log.events[:1]), event)


def test_acceptance_is_refused_while_a_mandatory_material_is_missing():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload(complete=False))
    event = log.add(ev.ACCEPTED)
    with pytest.raises(NotAllowed, match="必要材料尚未收齐（身份证）"):
        fold.apply_event(fold.fold(log.events[:1]), event)


def test_forwarded_item_cannot_be_completed_at_the_township():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload("forwarded"))
    log.add(ev.ACCEPTED)
    log.add(ev.SUPPLEMENT_REQUESTED, SUPPLEMENT)
    log.add(ev.SUPPLEMENT_RECEIVED, {"materials": []})
    state = folded(log)
    assert state.state == fold.IN_REVIEW
    event = log.add(ev.COMPLETED, COMPLETE)
    with pytest.raises(NotAllowed):
        fold.apply_event(state, event)


def test_refusal_of_approval_needs_reasons():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    log.add(ev.ACCEPTED)
    event = log.add(ev.COMPLETED, {"outcome": "refused", "reasons": ""})
    with pytest.raises(InvalidInput, match="不予批准必须说明理由"):
        fold.apply_event(fold.fold(log.events[:2]), event)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["applicant"].update(id_number="11010519491231002Y"), "身份证"),
        (lambda p: p["applicant"].update(name=""), "请填写姓名"),
        (lambda p: p["item"].update(kind="urgent"), "事项类型不正确"),
        (lambda p: p["item"].update(route=["county"]), "只有上报件才有上级审批层级"),
        (lambda p: p["item"].update(promised_days=99), "承诺时限不能超过法定时限"),
        (lambda p: p["item"].update(fee_fen=-1), "收费金额不正确"),
        (lambda p: p.update(channel="fax"), "受理渠道不正确"),
        (lambda p: p["materials"].append(dict(p["materials"][0])), "材料编码重复"),
    ],
)
def test_malformed_registration_is_refused(change, message):
    payload = registered_payload()
    change(payload)
    log = CaseLog()
    with pytest.raises(InvalidInput, match=message):
        fold.apply_event(None, log.add(ev.REGISTERED, payload))


def test_a_float_anywhere_in_an_event_is_refused_before_it_is_stored():
    payload = registered_payload()
    payload["item"]["fee_fen"] = 12.5
    with pytest.raises(InvalidInput, match="小数"):
        CaseLog().add(ev.REGISTERED, payload)


def test_state_survives_a_round_trip_through_its_stored_form():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload("forwarded"))
    log.add(ev.ACCEPTED)
    log.add(ev.SUPPLEMENT_REQUESTED, SUPPLEMENT)
    state = folded(log)
    assert fold.CaseState.from_dict(state.to_dict()) == state


# Property tests: any sequence of events either folds to a valid state or is refused, and the
# fold is deterministic.

PAYLOADS = {
    ev.SUPPLEMENT_REQUESTED: st.sampled_from([SUPPLEMENT, {"missing": []}]),
    ev.SUPPLEMENT_RECEIVED: st.sampled_from([{"materials": [{"code": "M01", "files": []}]}, {}]),
    ev.REFUSED: st.sampled_from([{"reason": "不符合条件"}, {"reason": ""}]),
    ev.ACCEPTED: st.just({}),
    ev.FORWARDED: st.sampled_from([FORWARD, {"opinion": ""}]),
    ev.COMPLETED: st.sampled_from([COMPLETE, {"outcome": "refused", "reasons": "条件不符"}, {}]),
    ev.WITHDRAWN: st.sampled_from([{"reason": "本人撤回"}, {}]),
    ev.REGISTERED: st.just(registered_payload()),
    ev.PETITIONED: st.sampled_from(
        [{"kind": "complaint", "text": "等候时间太长"}, {"kind": "reexamination", "text": "不服"}]
    ),
}

steps = st.lists(
    st.tuples(
        st.sampled_from(sorted(PAYLOADS)),
        st.integers(min_value=0, max_value=72),
    ).flatmap(lambda t: st.tuples(st.just(t[0]), PAYLOADS[t[0]], st.just(t[1]))),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(fold.ITEM_KINDS), complete=st.booleans(), sequence=steps)
def test_every_event_sequence_folds_to_a_valid_state_or_is_refused(kind, complete, sequence):
    log = CaseLog()
    state = fold.apply_event(
        None, log.add(ev.REGISTERED, registered_payload(kind, complete=complete))
    )
    for event_type, payload, hours in sequence:
        event = log.add(event_type, payload, after=timedelta(hours=hours))
        try:
            state = fold.apply_event(state, event)
        except DomainError:
            log.events.pop()  # refused events are never part of the history
            continue
        assert state.state in fold.STATES
        if state.state in (fold.ACCEPTED, fold.IN_REVIEW, fold.FORWARDED, fold.COMPLETED):
            assert state.accepted_on is not None
        if state.state == fold.FORWARDED:
            assert state.item["kind"] == "forwarded" and state.opinion
        if state.state == fold.COMPLETED:
            assert state.item["kind"] != "forwarded"
        if state.state == fold.NOT_ACCEPTED:
            assert state.accepted_on is None and state.refusal_reason
        if state.state in (fold.ACCEPTED, fold.IN_REVIEW):
            assert all(m["received"] for m in state.materials if m["mandatory"])
        open_pauses = [p for p in state.pauses if p[1] is None]
        assert len(open_pauses) <= 1
        if open_pauses:
            assert state.state == fold.SUPPLEMENT_REQUESTED
    # Folding the accepted history again, from scratch, gives exactly the same state.
    assert fold.fold(log.events) == state
    assert fold.fold(list(log.events)) == fold.fold(log.events)
    ev.verify_chain(log.events)


@settings(max_examples=100, deadline=None)
@given(sequence=steps)
def test_final_states_accept_no_further_event(sequence):
    log = CaseLog()
    state = fold.apply_event(None, log.add(ev.REGISTERED, registered_payload()))
    for event_type, payload, hours in sequence:
        event = log.add(event_type, payload, after=timedelta(hours=hours))
        before = state
        try:
            state = fold.apply_event(state, event)
        except DomainError:
            log.events.pop()
            continue
        # Only a petition (re-examination or complaint) may follow the end of a case.
        assert before.state not in fold.FINAL_STATES or event_type == ev.PETITIONED
        assert event_type != ev.PETITIONED or state.state == before.state
