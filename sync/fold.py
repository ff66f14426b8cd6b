"""The case state machine: the state of a case is a pure fold of its events.

The same fold runs at the township and at the central server. ``apply_event`` either returns the next
state or raises ``NotAllowed`` / ``InvalidInput`` with a reason a clerk understands; it never reads a
clock or a database, so folding the same events always gives the same state.

The state and its vocabulary live in ``sync.case_state`` and the payload fields' parsing in
``sync.case_payloads``; this module holds the steps, one per event type. Adding an event type is
adding its step to ``_STEPS`` (and its transitions to ``TRANSITIONS``). The state's names are
re-exported here, so ``from sync.fold import CaseState`` keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sync import events as ev
from sync.applicant_rules import DEFAULT_APPLICANT_KINDS, check_accepted_kind
from sync.case_payloads import files_field as _files
from sync.case_payloads import is_mapping as _is_mapping
from sync.case_payloads import item_field as _item
from sync.case_payloads import materials_field as _materials
from sync.case_payloads import person_field as _person
from sync.case_payloads import text_field as _text
from sync.case_state import (  # noqa: F401 (re-exported)
    ACCEPTED,
    COMPLETED,
    DECIDED,
    DELIVERY_METHODS,
    DRAFT,
    FINAL_STATES,
    FORWARDED,
    IN_REVIEW,
    ITEM_KINDS,
    NOT_ACCEPTED,
    PETITION_KINDS,
    RATING_STEPS,
    ROUTE_LEVELS,
    STATE_LABELS,
    STATES,
    SUPPLEMENT_REQUESTED,
    TRANSITIONS,
    WITHDRAWN,
    CaseState,
)
from sync.case_state import with_changes as _with
from sync.clock_rules import CLOCK_STEPS
from sync.correction_rules import CORRECTION_STEPS
from sync.errors import N_, InvalidInput, NotAllowed
from sync.fee_rules import FEE_STEPS, check_fee_settled
from sync.green_channel import GREEN_CHANNEL_STEPS
from sync.joint_review_rules import JOINT_STEPS, closing, gated
from sync.rating_rules import rated_step
from sync.rectification_rules import RECTIFICATION_STEPS


def allowed_events(state: CaseState) -> tuple[str, ...]:
    """Return the event types that may follow the case's current state."""
    return TRANSITIONS[state.state]


def fold(events: Iterable[ev.Event]) -> CaseState:
    """Fold a case's events, in log order, into its current state."""
    state: CaseState | None = None
    for event in events:
        state = apply_event(state, event)
    if state is None:
        raise InvalidInput(N_("办件没有任何记录。"), field="events")
    return state


def apply_event(state: CaseState | None, event: ev.Event) -> CaseState:
    """Return the state after one more event, or refuse the event with a clerk-readable reason."""
    if state is None:
        if event.type != ev.REGISTERED:
            raise NotAllowed(N_("办件尚未登记，不能「%(action)s」。"), action=_label(event.type))
        return _registered(event)
    if event.case_id != state.case_id:
        raise InvalidInput(N_("事件不属于该办件。"), field="case_id")
    if event.type == ev.REGISTERED:
        raise NotAllowed(N_("办件 %(number)s 已经登记过了。"), number=state.case_number)
    if event.type not in TRANSITIONS[state.state]:
        if event.type in _NOT_NOW:
            raise NotAllowed(_NOT_NOW[event.type])
        raise NotAllowed(
            N_("办件当前状态为「%(state)s」，不能「%(action)s」。"),
            state=STATE_LABELS[state.state],
            action=_label(event.type),
        )
    step = _STEPS[event.type]
    following = step(state, event, event.payload)
    return _with(
        following,
        last_event_id=event.event_id,
        last_at=event.at,
        event_count=state.event_count + 1,
    )


# What to say, instead of "not in this state", of an event that only one moment allows.
_NOT_NOW = {ev.DELIVERED: N_("只有上级已审批、尚未办结的办件才能送达和办结。")}


def _label(event_type: str) -> str:
    return ev.EVENT_LABELS.get(event_type, event_type)


def _registered(event: ev.Event) -> CaseState:
    p = event.payload
    channel = p.get("channel")
    if channel not in ("window", "village"):
        raise InvalidInput(N_("受理渠道不正确。"), field="channel")
    green = p.get("green_channel", False)
    if not isinstance(green, bool):
        raise InvalidInput(N_("绿色通道标记不正确。"), field="green_channel")
    proxy_raw = p.get("proxy")
    org_code = _text(p, "org_code", N_("缺少受理单位。"))
    # A village agency point registers for its township: the township accepts and holds the case,
    # the village keeps seeing it.
    agency_code = _text(p, "agency_code", N_("代办点编码不正确。"), required=False) or None
    if agency_code is not None and channel != "village":
        raise InvalidInput(N_("只有村代办点的申请才有代办点编码。"), field="agency_code")
    item = _item(p.get("item"))
    applicant = _person(p.get("applicant"), with_address=True, day=event.day)
    check_accepted_kind(applicant, item.get("applicant_kinds", DEFAULT_APPLICANT_KINDS))
    return CaseState(
        case_id=event.case_id,
        case_number=_text(p, "case_number", N_("缺少办件编号。")),
        query_code=_text(p, "query_code", N_("缺少查询码。")),
        org_code=org_code,
        holder_code=org_code,
        channel=channel,
        green_channel=green,
        state=DRAFT,
        item=item,
        applicant=applicant,
        proxy=None if proxy_raw is None else _person(proxy_raw, with_address=False, day=event.day),
        materials=_materials(p.get("materials")),
        registered_at=event.at,
        agency_code=agency_code,
        registered_by=event.actor,
        last_event_id=event.event_id,
        last_at=event.at,
        event_count=1,
    )


def _supplement_requested(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    missing_raw = p.get("missing")
    if not isinstance(missing_raw, list) or not missing_raw:
        raise InvalidInput(N_("一次性告知必须列明所有需要补正的材料。"), field="missing")
    known = {m["code"] for m in state.materials}
    missing = []
    for entry in missing_raw:
        if not _is_mapping(entry):
            raise InvalidInput(N_("补正材料清单格式不正确。"), field="missing")
        # A missing material is either one of the item's checklist (by code) or, with an empty
        # code, something the clerk names in words (a certificate the checklist does not list).
        code = _text(entry, "code", "", required=False)
        if code and code not in known:
            raise InvalidInput(N_("事项没有编码为 %(code)s 的材料。"), field="missing", code=code)
        missing.append(
            {
                "code": code,
                "name": _text(entry, "name", N_("补正材料缺少名称。")),
                "note": _text(entry, "note", "", required=False),
            }
        )
    note = _text(p, "note", "", required=False)
    pauses = state.pauses
    if state.clock_started:
        # After acceptance the promised limit pauses until the materials come (local practice).
        pauses = pauses + ((event.day.isoformat(), None),)
    return _with(
        state,
        state=SUPPLEMENT_REQUESTED,
        missing=tuple(missing),
        resume_state=state.state,
        pauses=pauses,
        supplement_note=note,
        supplements=state.supplements + 1,
    )


def _supplement_received(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    received_raw = p.get("materials", [])
    if not isinstance(received_raw, list):
        raise InvalidInput(N_("补正材料格式不正确。"), field="materials")
    by_code = {m["code"]: dict(m) for m in state.materials}
    for entry in received_raw:
        if not _is_mapping(entry):
            raise InvalidInput(N_("补正材料格式不正确。"), field="materials")
        code = _text(entry, "code", N_("补正材料缺少编码。"))
        if code not in by_code:
            raise InvalidInput(N_("事项没有编码为 %(code)s 的材料。"), field="materials", code=code)
        material = by_code[code]
        material["received"] = True
        material["files"] = list(material["files"]) + list(_files(entry.get("files", [])))
    pauses = state.pauses
    if pauses and pauses[-1][1] is None:
        pauses = pauses[:-1] + ((pauses[-1][0], event.day.isoformat()),)
    return _with(
        state,
        state=state.resume_state or DRAFT,
        materials=tuple(by_code[m["code"]] for m in state.materials),
        missing=(),
        resume_state=None,
        supplement_note="",
        pauses=pauses,
        received_on=state.received_on if state.clock_started else event.day.isoformat(),
    )


def _refused(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    if state.clock_started:
        raise NotAllowed(N_("办件已经受理，不能再作出不予受理决定。"))
    reason = _text(p, "reason", N_("不予受理必须说明理由。"))
    return _with(
        state,
        state=NOT_ACCEPTED,
        refusal_reason=reason,
        missing=(),
        resume_state=None,
        accepted_by=event.actor,
        refused_on=event.day.isoformat(),
    )


def _accepted(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    lacking = [m["name"] for m in state.materials if m["mandatory"] and not m["received"]]
    if lacking:
        raise NotAllowed(
            N_("必要材料尚未收齐（%(names)s），不能受理；请一次性告知补正。"),
            names="、".join(lacking),
        )
    following = IN_REVIEW if state.item["kind"] == "forwarded" else ACCEPTED
    return _with(state, state=following, accepted_on=event.day.isoformat(), accepted_by=event.actor)


def _forwarded(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    onward = state.state == FORWARDED
    if onward:
        # Only the unit holding the case above may forward it on (a county to the city), and only
        # as far as the item's route goes.
        _from_above(event)
        if not state.may_forward_on:
            raise NotAllowed(N_("该事项的审批层级已到最高一级，不能再上报。"))
    opinion = _text(p, "opinion", N_("上报前必须填写初审意见。"))
    conclusion = p.get("conclusion")
    if conclusion not in ("agree", "disagree"):
        raise InvalidInput(N_("请选择初审结论（同意上报或不同意）。"), field="conclusion")
    to_org = _text(p, "to_org", N_("缺少上报单位。"))
    given = {
        "opinion": opinion,
        "conclusion": conclusion,
        "by": event.actor,
        "at": event.at,
        "by_org": state.holder_code,
        "to_org": to_org,
    }
    if onward:
        return _with(state, holder_code=to_org, opinions=state.opinions + (given,))
    return _with(
        state,
        state=FORWARDED,
        holder_code=to_org,
        opinion={"opinion": opinion, "conclusion": conclusion, "by": event.actor, "at": event.at},
        opinions=(given,),
    )


def _completed(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    outcome = p.get("outcome")
    if state.state == DECIDED:
        # A case decided above is completed with that decision, once it has been handed over.
        if state.delivery is None:
            raise NotAllowed(N_("审批结果尚未送达，请先登记送达再办结，或使用「送达并办结」。"))
        if state.result is None or outcome != state.result["outcome"]:
            raise NotAllowed(N_("上级已审批的办件请使用「送达并办结」，结果和文号取自审批决定。"))
    elif state.item["kind"] == "forwarded":
        raise NotAllowed(N_("上报件须经上级审批，乡镇不能直接办结。"))
    if outcome not in ("approved", "refused"):
        raise InvalidInput(N_("请选择办理结果（准予或不予批准）。"), field="outcome")
    check_fee_settled(state, outcome)  # an approved case with its fee unpaid is not completed
    reasons = _text(p, "reasons", N_("不予批准必须说明理由。"), required=outcome == "refused")
    result = {
        "outcome": outcome,
        "document_number": _text(p, "document_number", "", required=False),
        "reasons": reasons,
        "note": _text(p, "note", "", required=False),
    }
    return _with(
        state,
        state=COMPLETED,
        completed_on=event.day.isoformat(),
        result=result,
        completed_by=event.actor,
    )


def _withdrawn(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    reason = _text(p, "reason", N_("撤回申请须记录原因。"))
    pauses = state.pauses
    if pauses and pauses[-1][1] is None:
        pauses = pauses[:-1] + ((pauses[-1][0], event.day.isoformat()),)
    return _with(
        state,
        state=WITHDRAWN,
        withdrawal_reason=reason,
        pauses=pauses,
        missing=(),
        withdrawn_on=event.day.isoformat(),
    )


def _from_above(event: ev.Event) -> None:
    if event.writer != ev.CENTRAL_WRITER:
        raise NotAllowed(N_("只有上级审批单位才能作出审批或退回决定。"))


def _decided(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    _from_above(event)
    if not state.may_decide_here:
        raise NotAllowed(N_("该事项须报上一级审批，本级不能直接审批，请转报。"))
    outcome = p.get("outcome")
    if outcome not in ("approved", "refused"):
        raise InvalidInput(N_("请选择审批结果（批准或不予批准）。"), field="outcome")
    reasons = _text(p, "reasons", N_("不予批准必须说明理由。"), required=outcome == "refused")
    decision = {
        "outcome": outcome,
        "document_number": _text(p, "document_number", "", required=False),
        "reasons": reasons,
        "by_org": _text(p, "by_org", N_("缺少审批单位。")),
        "note": "",
    }
    return _with(state, state=DECIDED, holder_code=state.org_code, result=decision)


def _returned(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    _from_above(event)
    # A return is a supplement request from above: the case comes back to the township's review,
    # and the promised limit pauses until the materials come.
    following = _supplement_requested(_with(state, state=IN_REVIEW), event, p)
    return _with(following, holder_code=state.org_code, opinions=())


def _delivered(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    if state.delivery is not None:
        raise NotAllowed(N_("审批结果已经送达，不能重复登记送达。"))
    method = p.get("method")
    if method not in DELIVERY_METHODS:
        raise InvalidInput(N_("请选择送达方式。"), field="method")
    delivery = {
        "method": method,
        "recipient": _text(p, "recipient", N_("请填写签收人。")),
        "note": _text(p, "note", "", required=False),
        "by": event.actor,
        "at": event.at,
    }
    return _with(state, delivery=delivery)


def _petitioned(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    kind = p.get("kind")
    if kind not in PETITION_KINDS:
        raise InvalidInput(N_("请选择复核申请或投诉。"), field="kind")
    refused = state.state == NOT_ACCEPTED or (
        state.result is not None and state.result.get("outcome") == "refused"
    )
    if kind == "reexamination" and not refused:
        raise NotAllowed(N_("只有不予受理或不予批准的办件才能申请复核。"))
    petition = {
        "petition_id": event.event_id,
        "kind": kind,
        "text": _text(p, "text", N_("请填写复核或投诉的内容。")),
        "contact": _text(p, "contact", "", required=False),
        "by": event.actor,
        "at": event.at,
        "answer": None,
    }
    return _with(state, petitions=state.petitions + (petition,))


def _petition_answered(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    _from_above(event)
    petition_id = _text(p, "petition_id", N_("缺少所答复的复核或投诉。"))
    petitions = list(state.petitions)
    index = next(
        (i for i, petition in enumerate(petitions) if petition["petition_id"] == petition_id), None
    )
    if index is None:
        raise InvalidInput(N_("该办件没有这项复核申请或投诉。"), field="petition_id")
    petition = petitions[index]
    if petition["answer"] is not None:
        raise NotAllowed(N_("这项复核申请或投诉已经答复过了。"))
    answer = {
        "text": _text(p, "answer", N_("请填写答复内容。")),
        "by": event.actor,
        "by_org": _text(p, "by_org", N_("缺少答复单位。")),
        "at": event.at,
    }
    petitions[index] = {**petition, "answer": answer}
    return _with(state, petitions=tuple(petitions))


_STEPS = {
    ev.SUPPLEMENT_REQUESTED: _supplement_requested,
    ev.SUPPLEMENT_RECEIVED: _supplement_received,
    ev.REFUSED: _refused,
    ev.ACCEPTED: _accepted,
    ev.FORWARDED: gated(_forwarded),
    ev.COMPLETED: _completed,
    ev.WITHDRAWN: _withdrawn,
    ev.DECIDED: gated(_decided),
    ev.RETURNED: closing(_returned),
    ev.DELIVERED: _delivered,
    ev.PETITIONED: _petitioned,
    ev.PETITION_ANSWERED: _petition_answered,
    ev.RATED: rated_step,
    **RECTIFICATION_STEPS,
    **JOINT_STEPS,
    **CLOCK_STEPS,
    **CORRECTION_STEPS,
    **GREEN_CHANNEL_STEPS,
    **FEE_STEPS,
}
