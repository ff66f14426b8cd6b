"""Results back at the window: deliver (送达) a decision from above, complete (办结) the case with it,
and register re-examination requests (复核) and complaints (投诉) against a case.

Every write goes through ``township_app.casework.case_log``, the one write path, and the fold's rules are
the checks (a second delivery, a completion before delivery or with another result are refused
there, with their messages); delivering and completing in one go is one transaction, so a case is
never left delivered by half a form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sync import events as ev
from sync.errors import N_, InvalidInput, NotAllowed, NotFound
from sync.fold import DECIDED, CaseState
from township_app.casework import case_log
from township_app.casework.casework import Actor, record
from township_app.roles import require_permission
from township_app.stores.store import Store

MAX_RECIPIENT = 50
MAX_NOTE = 500
MAX_PETITION = 1000
MAX_CONTACT = 100


def decision_of(events: Iterable[ev.Event]) -> dict[str, Any] | None:
    """Return the latest decision from above on a case (who, which unit, when, what), or None."""
    found = None
    for event in events:
        if event.type == ev.DECIDED:
            found = event
    if found is None:
        return None
    p = found.payload
    return {
        "outcome": p.get("outcome"),
        "document_number": p.get("document_number", ""),
        "reasons": p.get("reasons", ""),
        "by_org": p.get("by_org", ""),
        "by": found.actor,
        "at": found.at,
    }


def return_from_above(events: Iterable[ev.Event]) -> dict[str, Any] | None:
    """Return the return from above that the case's open supplement request came from, or None."""
    latest = None
    for event in events:
        if event.type in (ev.RETURNED, ev.SUPPLEMENT_REQUESTED, ev.SUPPLEMENT_RECEIVED):
            latest = event
    if latest is None or latest.type != ev.RETURNED:
        return None
    p = latest.payload
    return {
        "by_org": p.get("by_org", ""),
        "by": latest.actor,
        "at": latest.at,
        "missing": list(p.get("missing", [])),
        "note": p.get("note", ""),
    }


def deliver_case(
    store: Store,
    case_id: str,
    *,
    method: str,
    recipient: str,
    note: str,
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Record that the decision was handed to the applicant (送达): how, and who signed for it."""
    require_permission(actor.role, "deliver")
    return record(store, case_id, ev.DELIVERED, _delivery(method, recipient, note), actor, now)


def complete_decided_case(
    store: Store, case_id: str, *, note: str, actor: Actor, now: datetime
) -> CaseState:
    """Complete (办结) a delivered case with the decision from above, copied, never retyped."""
    require_permission(actor.role, "deliver")
    with store.write():
        state = _decided(store, case_id)
        return record(store, case_id, ev.COMPLETED, _completion(state, note), actor, now)


def deliver_and_complete(
    store: Store,
    case_id: str,
    *,
    method: str,
    recipient: str,
    note: str,
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Record the delivery and complete the case in one transaction (送达并办结)."""
    require_permission(actor.role, "deliver")
    payload = _delivery(method, recipient, note)
    with case_log.writing(store) as writer:
        delivered = writer.write(
            _draft(case_id, ev.DELIVERED, payload, actor, now), case_log.Origin.OWN
        )
        completion = _completion(delivered, note)
        return writer.write(
            _draft(case_id, ev.COMPLETED, completion, actor, now), case_log.Origin.OWN
        )


def register_petition(
    store: Store,
    case_id: str,
    *,
    kind: str,
    text: str,
    contact: str,
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Register a re-examination request (复核) or a complaint (投诉) against a case."""
    require_permission(actor.role, "petition")
    cleaned = text.strip()
    if len(cleaned) > MAX_PETITION:
        raise InvalidInput(N_("内容过长：请不超过 %(n)s 字。"), field="text", n=MAX_PETITION)
    payload = {"kind": kind, "text": cleaned, "contact": contact.strip()[:MAX_CONTACT]}
    return record(store, case_id, ev.PETITIONED, payload, actor, now)


def _decided(store: Store, case_id: str) -> CaseState:
    state = store.case(case_id)
    if state is None:
        raise NotFound(N_("没有找到该办件。"))
    if state.state != DECIDED:
        raise NotAllowed(N_("只有上级已审批、尚未办结的办件才能送达和办结。"))
    return state


def _draft(
    case_id: str, event_type: str, payload: Mapping[str, Any], actor: Actor, now: datetime
) -> case_log.Draft:
    return case_log.Draft(case_id, event_type, payload, actor.username, now)


def _delivery(method: str, recipient: str, note: str) -> dict[str, str]:
    # The fold checks the method and that someone signed; the form limits the name's length.
    who = recipient.strip()
    if len(who) > MAX_RECIPIENT:
        raise InvalidInput(N_("签收人过长。"), field="recipient")
    return {"method": method, "recipient": who, "note": note.strip()[:MAX_NOTE]}


def _completion(state: CaseState, note: str) -> Mapping[str, Any]:
    decision = state.result or {}
    return {
        "outcome": decision.get("outcome", ""),
        "document_number": decision.get("document_number", ""),
        "reasons": decision.get("reasons", ""),
        "note": note.strip()[:MAX_NOTE],
    }
