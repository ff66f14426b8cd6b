"""Decisions at central: a county or city unit approves, refuses or returns a forwarded case, a county
forwards a city-level case on to the city, and a supervising unit answers a re-examination request or
a complaint.

Each writes through ``central_api.review.central_log``, central's one write path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from central_api.review.central_log import write_event
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.errors import N_, InvalidInput, NotAllowed
from sync.events import Event
from sync.fold import COMPLETED, DECIDED, FORWARDED, STATE_LABELS, CaseState
from sync.labels import OUTCOME_LABELS
from sync.signing import SigningKey


def decide_case(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    outcome: str,
    by_org: str,
    actor: str,
    now: datetime,
    document_number: str = "",
    reasons: str = "",
    require_document_number: bool = False,
) -> Event:
    """Approve or refuse a forwarded case held by ``by_org`` and send the decision down."""
    payload = {
        "outcome": outcome,
        "document_number": document_number.strip()[:50],
        "reasons": reasons.strip()[:500],
        "by_org": by_org,
    }
    held = _held_by(by_org, "decide")

    def check(state: CaseState) -> None:
        held(state)
        # The reviewers' page always asks for it; the CLI leaves it to the operator.
        if require_document_number and outcome == "approved" and not payload["document_number"]:
            raise InvalidInput(N_("批准须填写审批文号。"), field="document_number")
        if outcome == "refused" and not payload["reasons"]:
            raise InvalidInput(N_("不予批准必须说明理由。"), field="reasons")

    return write_event(store, central_key, case_number, ev.DECIDED, payload, actor, now, check)


def return_case(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    missing: Sequence[str],
    by_org: str,
    actor: str,
    now: datetime,
    note: str = "",
) -> Event:
    """Return a forwarded case to the township for a supplement, listing every missing material."""
    names = [name.strip()[:500] for name in missing if name.strip()]
    if not names:
        raise InvalidInput("退回补正必须列明所有需要补正的材料。", field="missing")
    payload = {
        "missing": [{"code": "", "name": name, "note": ""} for name in names],
        "note": note.strip()[:500],
        "by_org": by_org,
    }
    return write_event(
        store,
        central_key,
        case_number,
        ev.RETURNED,
        payload,
        actor,
        now,
        _held_by(by_org, "return"),
    )


def forward_case_on(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    opinion: str,
    conclusion: str,
    by_org: str,
    actor: str,
    now: datetime,
) -> Event:
    """Forward a case whose route goes on to the city, with the county's opinion, to the unit above."""
    if not opinion.strip():
        raise InvalidInput(N_("转报前必须填写本级审核意见。"), field="opinion")
    if conclusion not in ("agree", "disagree"):
        raise InvalidInput(N_("请选择审核结论（同意或不同意）。"), field="conclusion")
    with store.reading() as c:
        unit = store.org_unit(c, by_org)
        parent = store.org_unit(c, unit["parent_code"]) if unit and unit["parent_code"] else None
    if parent is None or parent["level"] != "city":
        raise NotAllowed(N_("本单位没有上级市级审批单位，不能转报。"))
    payload = {
        "opinion": opinion.strip()[:1000],
        "conclusion": conclusion,
        "to_org": parent["code"],
    }

    def check(state: CaseState) -> None:
        _held_by(by_org, "forward")(state)
        if state.next_level != "city":
            raise NotAllowed(N_("该事项由本级审批，不需要转报市级。"))

    return write_event(store, central_key, case_number, ev.FORWARDED, payload, actor, now, check)


def answer_petition(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    petition_id: str,
    answer: str,
    by_org: str,
    units: frozenset[str],
    actor: str,
    now: datetime,
) -> Event:
    """Answer a re-examination request or a complaint about a case of a unit under ``by_org``."""
    if not answer.strip():
        raise InvalidInput(N_("请填写答复内容。"), field="answer")
    payload = {"petition_id": petition_id, "answer": answer.strip()[:2000], "by_org": by_org}

    def check(state: CaseState) -> None:
        if state.org_code not in units:
            raise NotAllowed(NOT_YOURS)
        petition = next((p for p in state.petitions if p["petition_id"] == petition_id), None)
        if petition is None:
            raise InvalidInput(N_("该办件没有这项复核申请或投诉。"), field="petition_id")
        if petition["answer"] is not None:
            raise NotAllowed(N_("这项复核申请或投诉已经答复过了，不能重复答复。"))

    return write_event(
        store, central_key, case_number, ev.PETITION_ANSWERED, payload, actor, now, check
    )


NOT_YOURS = N_("没有找到该办件，或该办件不属于您所在单位办理。")
_ALREADY = {
    "decide": N_("办件 %(number)s 已经审批（%(outcome)s），不能重复审批。"),
    "return": N_("办件 %(number)s 已经审批（%(outcome)s），不能再退回补正。"),
    "forward": N_("办件 %(number)s 已经审批（%(outcome)s），不能再转报。"),
}


def _held_by(by_org: str, action: str) -> Callable[[CaseState], None]:
    """Return the check that the case waits for a decision at ``by_org``, each refusal its own."""

    def check(state: CaseState) -> None:
        if state.state in (DECIDED, COMPLETED) and state.result is not None:
            raise NotAllowed(
                _ALREADY[action],
                number=state.case_number,
                outcome=OUTCOME_LABELS.get(state.result.get("outcome", ""), ""),
            )
        if state.holder_code != by_org:
            raise NotAllowed(
                N_("办件 %(number)s 不在本单位待审批，当前由 %(holder)s 办理，本单位不能处理。"),
                number=state.case_number,
                holder=state.holder_code,
            )
        if state.state != FORWARDED:
            raise NotAllowed(
                N_("办件 %(number)s 当前状态为「%(state)s」，不能审批、退回或转报。"),
                number=state.case_number,
                state=STATE_LABELS[state.state],
            )

    return check
