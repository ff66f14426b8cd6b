"""The case state machine: the state of a case is a pure fold of its events.

The same fold runs at the township and at the central server. ``apply_event`` either returns the next
state or raises ``NotAllowed`` / ``InvalidInput`` with a reason a clerk understands; it never reads a
clock or a database, so folding the same events always gives the same state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sync import events as ev
from sync.errors import N_, InvalidInput, NotAllowed
from sync.ids import check_resident_id

DRAFT = "draft"  # 已登记，待受理
SUPPLEMENT_REQUESTED = "supplement_requested"  # 待补正（一次性告知）
NOT_ACCEPTED = "not_accepted"  # 不予受理
ACCEPTED = "accepted"  # 已受理，办理中
IN_REVIEW = "in_review"  # 初审中
FORWARDED = "forwarded"  # 已上报
DECIDED = "decided"  # 已审批，待送达
COMPLETED = "completed"  # 已办结
WITHDRAWN = "withdrawn"  # 已撤回

STATES = (
    DRAFT,
    SUPPLEMENT_REQUESTED,
    NOT_ACCEPTED,
    ACCEPTED,
    IN_REVIEW,
    FORWARDED,
    DECIDED,
    COMPLETED,
    WITHDRAWN,
)
FINAL_STATES = frozenset({NOT_ACCEPTED, COMPLETED, WITHDRAWN})

STATE_LABELS = {
    DRAFT: N_("待受理"),
    SUPPLEMENT_REQUESTED: N_("待补正"),
    NOT_ACCEPTED: N_("不予受理"),
    ACCEPTED: N_("办理中"),
    IN_REVIEW: N_("初审中"),
    FORWARDED: N_("已上报"),
    DECIDED: N_("已审批待送达"),
    COMPLETED: N_("已办结"),
    WITHDRAWN: N_("已撤回"),
}

ITEM_KINDS = ("immediate", "promised", "forwarded")  # 即办件 / 承诺件 / 上报件
ROUTE_LEVELS = ("county", "city")
DELIVERY_METHODS = (
    "window",
    "post",
    "electronic",
    "agent",
)  # 窗口领取 / 邮寄 / 电子送达 / 代办员转交
PETITION_KINDS = ("reexamination", "complaint")  # 复核 / 投诉

# Which event may follow which state. Supplement requests after acceptance pause the clock.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (ev.SUPPLEMENT_REQUESTED, ev.REFUSED, ev.ACCEPTED, ev.WITHDRAWN),
    SUPPLEMENT_REQUESTED: (ev.SUPPLEMENT_RECEIVED, ev.REFUSED, ev.WITHDRAWN),
    ACCEPTED: (ev.SUPPLEMENT_REQUESTED, ev.COMPLETED, ev.WITHDRAWN),
    IN_REVIEW: (ev.SUPPLEMENT_REQUESTED, ev.FORWARDED, ev.WITHDRAWN),
    FORWARDED: (ev.DECIDED, ev.RETURNED, ev.FORWARDED),  # a county forwards on to the city
    DECIDED: (ev.DELIVERED, ev.COMPLETED),
    NOT_ACCEPTED: (),
    COMPLETED: (),
    WITHDRAWN: (),
}
# A re-examination request or a complaint, and its answer, may come at any time, even after the end.
for _state in TRANSITIONS:
    TRANSITIONS[_state] += (ev.PETITIONED, ev.PETITION_ANSWERED)


@dataclass(frozen=True)
class CaseState:
    """What the log says about one case now."""

    case_id: str
    case_number: str
    query_code: str
    org_code: str
    holder_code: str
    channel: str
    green_channel: bool
    state: str
    item: Mapping[str, Any]
    applicant: Mapping[str, Any]
    proxy: Mapping[str, Any] | None
    materials: tuple[Mapping[str, Any], ...]
    registered_at: str
    accepted_on: str | None = None
    completed_on: str | None = None
    pauses: tuple[tuple[str, str | None], ...] = ()
    missing: tuple[Mapping[str, Any], ...] = ()
    resume_state: str | None = None
    refusal_reason: str | None = None
    result: Mapping[str, Any] | None = None
    opinion: Mapping[str, Any] | None = None
    withdrawal_reason: str | None = None
    supplement_note: str = ""
    agency_code: str | None = None  # the village agency point that took a proxy application
    opinions: tuple[Mapping[str, Any], ...] = ()  # this round's opinions, one per level forwarded
    delivery: Mapping[str, Any] | None = None
    petitions: tuple[Mapping[str, Any], ...] = ()
    last_event_id: str = ""
    last_at: str = ""
    event_count: int = 0

    @property
    def clock_running(self) -> bool:
        """Tell whether the promised limit is counting now (accepted and not paused or finished)."""
        return self.state in (ACCEPTED, IN_REVIEW, FORWARDED)

    @property
    def clock_started(self) -> bool:
        """Tell whether the case was ever accepted."""
        return self.accepted_on is not None

    def to_dict(self) -> dict[str, Any]:
        """Return the state as plain JSON-able values (for the projection table)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CaseState:
        """Rebuild a state stored with ``to_dict``."""
        values = dict(raw)
        values["materials"] = tuple(values["materials"])
        values["missing"] = tuple(values["missing"])
        values["pauses"] = tuple((start, end) for start, end in values["pauses"])
        # Projections stored before a field existed lack it: rebuild what the fold would give.
        opinions = values.get("opinions")
        if opinions is None:
            opinions = [values["opinion"]] if values.get("opinion") else []
        values["opinions"] = tuple(opinions)
        values["petitions"] = tuple(values.get("petitions", ()))
        return cls(**values)


_FIELDS = frozenset(CaseState.__dataclass_fields__)


def _with(base: CaseState, /, **changes: Any) -> CaseState:
    """Return a copy of a state with some fields changed (``dataclasses.replace``, faster).

    The fold makes a new state for every event, and ``replace`` re-runs the generated
    ``__init__`` over all the fields: on a batch of thousands of events at central that shows.
    A state has no derived fields and no validation in ``__init__``, so copying its fields and
    overwriting the changed ones gives exactly what ``replace`` gives.
    """
    if not _FIELDS.issuperset(changes):
        raise TypeError(f"CaseState has no fields {sorted(set(changes) - _FIELDS)}")
    copy = object.__new__(CaseState)
    copy.__dict__.update(base.__dict__)
    copy.__dict__.update(changes)
    return copy


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


def _label(event_type: str) -> str:
    return ev.EVENT_LABELS.get(event_type, event_type)


def _text(payload: Mapping[str, Any], key: str, message: str, *, required: bool = True) -> str:
    value = payload.get(key, "")
    # ``type(...) is str`` before ``isinstance``: central folds hundreds of thousands of these in
    # a batch, and the exact type is what JSON gives.
    if value.__class__ is not str and not isinstance(value, str):
        raise InvalidInput(message, field=key)
    value = value.strip()
    if required and not value:
        raise InvalidInput(message, field=key)
    return value


def _is_mapping(value: object) -> bool:
    """Tell whether a value is a mapping; a parsed JSON object (a dict) is told without the ABC's
    slower ``isinstance`` check."""
    return value.__class__ is dict or isinstance(value, Mapping)


def _int(payload: Mapping[str, Any], key: str, message: str) -> int:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(message, field=key)
    return value


def _files(raw: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list):
        raise InvalidInput(N_("材料附件格式不正确。"), field="files")
    files = []
    for entry in raw:
        if not _is_mapping(entry):
            raise InvalidInput(N_("材料附件格式不正确。"), field="files")
        digest = _text(entry, "sha256", N_("附件缺少 SHA-256 摘要。"))
        if len(digest) != 64 or digest.strip("0123456789abcdef"):
            raise InvalidInput(N_("附件的 SHA-256 摘要格式不正确。"), field="sha256")
        files.append(
            {
                "sha256": digest,
                "size": _int(entry, "size", N_("附件大小不正确。")),
                "media_type": _text(entry, "media_type", N_("附件缺少文件类型。")),
                "filename": _text(entry, "filename", "", required=False),
            }
        )
    return tuple(files)


def _item(raw: Any) -> dict[str, Any]:
    if not _is_mapping(raw):
        raise InvalidInput(N_("办件缺少事项信息。"), field="item")
    kind = raw.get("kind")
    if kind not in ITEM_KINDS:
        raise InvalidInput(N_("事项类型不正确。"), field="kind")
    route = raw.get("route")
    if not isinstance(route, list) or any(level not in ROUTE_LEVELS for level in route):
        raise InvalidInput(N_("事项的审批层级不正确。"), field="route")
    if kind == "forwarded" and not route:
        raise InvalidInput(N_("上报件必须写明上级审批层级。"), field="route")
    if kind != "forwarded" and route:
        raise InvalidInput(N_("只有上报件才有上级审批层级。"), field="route")
    statutory = _int(raw, "statutory_days", N_("法定时限不正确。"))
    promised = _int(raw, "promised_days", N_("承诺时限不正确。"))
    if promised > statutory:
        raise InvalidInput(N_("承诺时限不能超过法定时限。"), field="promised_days")
    fee_code = raw.get("fee_code")
    if fee_code is not None and not isinstance(fee_code, str):
        raise InvalidInput(N_("收费编码不正确。"), field="fee_code")
    return {
        "code": _text(raw, "code", N_("事项编码不能为空。")),
        "name": _text(raw, "name", N_("事项名称不能为空。")),
        "kind": kind,
        "route": list(route),
        "statutory_days": statutory,
        "promised_days": promised,
        "fee_fen": _int(raw, "fee_fen", N_("收费金额不正确。")),
        "fee_code": fee_code,
        "catalogue_version": _text(raw, "catalogue_version", N_("缺少事项目录版本。")),
    }


def _person(raw: Any, *, with_address: bool, day: date) -> dict[str, Any]:
    if not _is_mapping(raw):
        raise InvalidInput(N_("缺少申请人信息。"), field="applicant")
    person = {
        "name": _text(raw, "name", N_("请填写姓名。")),
        "id_number": check_resident_id(str(raw.get("id_number", "")), today=day),
        "phone": _text(raw, "phone", "", required=False),
    }
    if with_address:
        person["address"] = _text(raw, "address", "", required=False)
        person["village_code"] = _text(raw, "village_code", "", required=False)
    else:
        person["relation"] = _text(raw, "relation", "", required=False)
    return person


def _materials(raw: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list):
        raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
    materials = []
    seen = set()
    for entry in raw:
        if not _is_mapping(entry):
            raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
        code = _text(entry, "code", N_("材料缺少编码。"))
        if code in seen:
            raise InvalidInput(N_("材料编码重复：%(code)s"), field="materials", code=code)
        seen.add(code)
        received = entry.get("received")
        mandatory = entry.get("mandatory")
        if not isinstance(received, bool) or not isinstance(mandatory, bool):
            raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
        materials.append(
            {
                "code": code,
                "name": _text(entry, "name", N_("材料缺少名称。")),
                "mandatory": mandatory,
                "received": received,
                "files": list(_files(entry.get("files", []))),
            }
        )
    return tuple(materials)


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
    return CaseState(
        case_id=event.case_id,
        case_number=_text(p, "case_number", N_("缺少办件编号。")),
        query_code=_text(p, "query_code", N_("缺少查询码。")),
        org_code=org_code,
        holder_code=org_code,
        channel=channel,
        green_channel=green,
        state=DRAFT,
        item=_item(p.get("item")),
        applicant=_person(p.get("applicant"), with_address=True, day=event.day),
        proxy=None if proxy_raw is None else _person(proxy_raw, with_address=False, day=event.day),
        materials=_materials(p.get("materials")),
        registered_at=event.at,
        agency_code=agency_code,
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
    )


def _refused(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    if state.clock_started:
        raise NotAllowed(N_("办件已经受理，不能再作出不予受理决定。"))
    reason = _text(p, "reason", N_("不予受理必须说明理由。"))
    return _with(state, state=NOT_ACCEPTED, refusal_reason=reason, missing=(), resume_state=None)


def _accepted(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    lacking = [m["name"] for m in state.materials if m["mandatory"] and not m["received"]]
    if lacking:
        raise NotAllowed(
            N_("必要材料尚未收齐（%(names)s），不能受理；请一次性告知补正。"),
            names="、".join(lacking),
        )
    following = IN_REVIEW if state.item["kind"] == "forwarded" else ACCEPTED
    return _with(state, state=following, accepted_on=event.day.isoformat())


def _forwarded(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    onward = state.state == FORWARDED
    if onward:
        # Only the unit holding the case above may forward it on (a county to the city), and only
        # as far as the item's route goes.
        _from_above(event)
        if len(state.opinions) >= len(state.item["route"]):
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
    if state.item["kind"] == "forwarded" and state.state != DECIDED:
        raise NotAllowed(N_("上报件须经上级审批，乡镇不能直接办结。"))
    outcome = p.get("outcome")
    if outcome not in ("approved", "refused"):
        raise InvalidInput(N_("请选择办理结果（准予或不予批准）。"), field="outcome")
    reasons = _text(p, "reasons", N_("不予批准必须说明理由。"), required=outcome == "refused")
    result = {
        "outcome": outcome,
        "document_number": _text(p, "document_number", "", required=False),
        "reasons": reasons,
        "note": _text(p, "note", "", required=False),
    }
    return _with(state, state=COMPLETED, completed_on=event.day.isoformat(), result=result)


def _withdrawn(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    reason = _text(p, "reason", N_("撤回申请须记录原因。"))
    pauses = state.pauses
    if pauses and pauses[-1][1] is None:
        pauses = pauses[:-1] + ((pauses[-1][0], event.day.isoformat()),)
    return _with(state, state=WITHDRAWN, withdrawal_reason=reason, pauses=pauses, missing=())


def _from_above(event: ev.Event) -> None:
    if event.writer != ev.CENTRAL_WRITER:
        raise NotAllowed(N_("只有上级审批单位才能作出审批或退回决定。"))


def _decided(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    _from_above(event)
    if len(state.opinions) < len(state.item["route"]):
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
    ev.FORWARDED: _forwarded,
    ev.COMPLETED: _completed,
    ev.WITHDRAWN: _withdrawn,
    ev.DECIDED: _decided,
    ev.RETURNED: _returned,
    ev.DELIVERED: _delivered,
    ev.PETITIONED: _petitioned,
    ev.PETITION_ANSWERED: _petition_answered,
}
