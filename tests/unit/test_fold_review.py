"""The fold's rules for what happens above the township and after: forward on, deliver, petitions."""

from __future__ import annotations

import pytest

from sync import events as ev
from sync import fold
from sync.errors import InvalidInput, NotAllowed
from tests.unit.casefactory import CaseLog, registered_payload

FORWARD = {"opinion": "情况属实，同意上报。", "conclusion": "agree", "to_org": "370613"}
ON_TO_CITY = {"opinion": "经审查符合条件，请市局审批。", "conclusion": "agree", "to_org": "370600"}
APPROVE = {"outcome": "approved", "document_number": "烟民〔2026〕8号", "by_org": "370600"}


def forwarded_case(route: list[str]) -> tuple[CaseLog, CaseLog]:
    """Return the township's and central's logs of a case forwarded to the county."""
    township = CaseLog()
    payload = registered_payload("forwarded")
    payload["item"]["route"] = route
    township.add(ev.REGISTERED, payload)
    township.add(ev.ACCEPTED)
    township.add(ev.FORWARDED, FORWARD)
    central = CaseLog(writer=ev.CENTRAL_WRITER)
    central.moment = township.moment  # central's events come after the township's
    return township, central


def fold_both(township: CaseLog, central: CaseLog) -> fold.CaseState:
    return fold.fold(sorted(township.events + central.events, key=lambda e: e.at))


def test_county_forwards_a_city_level_case_on_with_its_opinion():
    township, central = forwarded_case(["county", "city"])
    central.add(ev.FORWARDED, ON_TO_CITY)
    state = fold_both(township, central)
    assert state.state == fold.FORWARDED
    assert state.holder_code == "370600"
    assert [o["by_org"] for o in state.opinions] == ["370613004", "370613"]
    assert state.opinion["opinion"] == FORWARD["opinion"]  # the township's stays on the case


def test_county_cannot_decide_a_case_whose_route_goes_to_the_city():
    township, central = forwarded_case(["county", "city"])
    state = fold_both(township, central)
    with pytest.raises(NotAllowed, match="须报上一级审批"):
        fold.apply_event(state, central.add(ev.DECIDED, {**APPROVE, "by_org": "370613"}))


def test_city_decides_after_the_county_forwarded_it_on():
    township, central = forwarded_case(["county", "city"])
    central.add(ev.FORWARDED, ON_TO_CITY)
    central.add(ev.DECIDED, APPROVE)
    state = fold_both(township, central)
    assert state.state == fold.DECIDED
    assert state.holder_code == state.org_code
    assert state.result["document_number"] == "烟民〔2026〕8号"


def test_a_case_cannot_be_forwarded_beyond_its_route():
    township, central = forwarded_case(["county"])
    state = fold_both(township, central)
    with pytest.raises(NotAllowed, match="最高一级"):
        fold.apply_event(state, central.add(ev.FORWARDED, ON_TO_CITY))


def test_township_cannot_forward_on_a_case_held_above():
    township, central = forwarded_case(["county", "city"])
    state = fold_both(township, central)
    with pytest.raises(NotAllowed, match="上级审批单位"):
        fold.apply_event(state, township.add(ev.FORWARDED, ON_TO_CITY))


def test_a_return_clears_the_opinions_so_the_case_climbs_the_route_again():
    township, central = forwarded_case(["county", "city"])
    central.add(ev.FORWARDED, ON_TO_CITY)
    central.add(ev.RETURNED, {"missing": [{"code": "", "name": "户口簿"}], "by_org": "370600"})
    state = fold_both(township, central)
    assert state.state == fold.SUPPLEMENT_REQUESTED
    assert state.holder_code == state.org_code and state.opinions == ()


@pytest.mark.parametrize(
    ("route", "on_to_city", "levels_done", "next_level", "decide_here", "forward_on"),
    [
        (["county"], False, 1, None, True, False),
        (["county", "city"], False, 1, "city", False, True),
        (["county", "city"], True, 2, None, True, False),
    ],
)
def test_the_folded_state_tells_which_level_may_act_on_a_forwarded_case(
    route, on_to_city, levels_done, next_level, decide_here, forward_on
):
    township, central = forwarded_case(route)
    if on_to_city:
        central.add(ev.FORWARDED, ON_TO_CITY)
    state = fold_both(township, central)
    assert state.levels_done == levels_done
    assert state.next_level == next_level
    assert state.may_decide_here is decide_here
    assert state.may_forward_on is forward_on


def test_no_level_above_may_act_on_a_case_before_it_is_forwarded_or_after_a_return():
    township, central = forwarded_case(["county", "city"])
    before = fold.fold(township.events[:2])
    central.add(ev.RETURNED, {"missing": [{"code": "", "name": "户口簿"}], "by_org": "370613"})
    returned = fold_both(township, central)
    for state in (before, returned):
        assert (state.levels_done, state.next_level) == (0, "county")
        assert not state.may_decide_here and not state.may_forward_on


def test_delivery_is_recorded_once_then_the_case_completes():
    township, central = forwarded_case(["county"])
    central.add(ev.DECIDED, {**APPROVE, "by_org": "370613"})
    township.moment = central.moment
    township.add(ev.DELIVERED, {"method": "window", "recipient": "张三"})
    state = fold_both(township, central)
    assert state.state == fold.DECIDED and state.delivery["recipient"] == "张三"
    with pytest.raises(NotAllowed, match="已经送达"):
        fold.apply_event(state, township.add(ev.DELIVERED, {"method": "post", "recipient": "张三"}))


def test_a_decided_case_completes_only_after_delivery_and_with_the_decisions_outcome():
    township, central = forwarded_case(["county"])
    central.add(ev.DECIDED, {**APPROVE, "by_org": "370613"})
    township.moment = central.moment
    decided = fold_both(township, central)
    with pytest.raises(NotAllowed, match="尚未送达.*送达并办结"):
        fold.apply_event(decided, township.add(ev.COMPLETED, {"outcome": "approved"}))
    township.events.pop()  # refused events are never part of the history
    township.add(ev.DELIVERED, {"method": "window", "recipient": "张三"})
    delivered = fold_both(township, central)
    retyped = {"outcome": "refused", "reasons": "改了结果"}
    with pytest.raises(NotAllowed, match="结果和文号取自审批决定"):
        fold.apply_event(delivered, township.add(ev.COMPLETED, retyped))
    township.events.pop()
    done = fold.apply_event(delivered, township.add(ev.COMPLETED, {"outcome": "approved"}))
    assert done.state == fold.COMPLETED and done.completed_on is not None


def test_only_a_decided_case_not_yet_completed_can_be_delivered():
    township, central = forwarded_case(["county"])
    held_above = fold_both(township, central)
    with pytest.raises(NotAllowed, match="只有上级已审批、尚未办结的办件才能送达和办结"):
        fold.apply_event(held_above, township.add(ev.DELIVERED, {"method": "window"}))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"method": "pigeon", "recipient": "张三"}, "送达方式"),
        ({"method": "window", "recipient": " "}, "签收人"),
    ],
)
def test_delivery_without_method_or_recipient_is_refused(payload, message):
    township, central = forwarded_case(["county"])
    central.add(ev.DECIDED, {**APPROVE, "by_org": "370613"})
    township.moment = central.moment
    state = fold_both(township, central)
    with pytest.raises(InvalidInput, match=message):
        fold.apply_event(state, township.add(ev.DELIVERED, payload))


def test_complaint_is_recorded_in_any_state_and_answered_once_from_above():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    complaint = log.add(ev.PETITIONED, {"kind": "complaint", "text": "窗口人员态度不好"})
    central = CaseLog(writer=ev.CENTRAL_WRITER)
    central.moment = log.moment
    answer = {"petition_id": complaint.event_id, "answer": "已核实并批评教育。", "by_org": "370600"}
    central.add(ev.PETITION_ANSWERED, answer)
    state = fold.fold(log.events + central.events)
    assert state.state == fold.DRAFT
    assert state.petitions[0]["answer"]["text"] == "已核实并批评教育。"
    with pytest.raises(NotAllowed, match="已经答复"):
        fold.apply_event(state, central.add(ev.PETITION_ANSWERED, answer))


def test_reexamination_needs_a_refusal():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    state = fold.fold(log.events)
    with pytest.raises(NotAllowed, match="不予受理或不予批准"):
        fold.apply_event(state, log.add(ev.PETITIONED, {"kind": "reexamination", "text": "不服"}))
    log.events.pop()
    log.add(ev.REFUSED, {"reason": "不属于本中心受理范围"})
    log.add(ev.PETITIONED, {"kind": "reexamination", "text": "不服"})
    state = fold.fold(log.events)
    assert state.state == fold.NOT_ACCEPTED and state.petitions[0]["kind"] == "reexamination"


def test_a_township_cannot_answer_a_petition():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    complaint = log.add(ev.PETITIONED, {"kind": "complaint", "text": "排队太久"})
    state = fold.fold(log.events)
    event = log.add(ev.PETITION_ANSWERED, {"petition_id": complaint.event_id, "answer": "好"})
    with pytest.raises(NotAllowed, match="上级审批单位"):
        fold.apply_event(state, event)


def test_village_application_carries_its_agency_point():
    payload = registered_payload()
    payload.update(channel="village", agency_code="370613004201")
    state = fold.fold([CaseLog().add(ev.REGISTERED, payload)])
    assert state.agency_code == "370613004201" and state.org_code == "370613004"
    window = registered_payload()
    window["agency_code"] = "370613004201"
    with pytest.raises(InvalidInput, match="村代办点"):
        fold.fold([CaseLog().add(ev.REGISTERED, window)])


def test_states_stored_before_the_new_fields_still_load():
    township, central = forwarded_case(["county"])
    stored = fold_both(township, central).to_dict()
    for name in ("agency_code", "opinions", "delivery", "petitions"):
        del stored[name]
    state = fold.CaseState.from_dict(stored)
    assert len(state.opinions) == 1 and state.petitions == ()
