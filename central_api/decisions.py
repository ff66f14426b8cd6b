"""Decisions at central: a county or city unit approves, refuses or returns a forwarded case.

The central server writes one hash chain of its own (writer ``central``). Its head row is locked
for the transaction, so concurrent reviewers on several workers still write consecutive sequence
numbers; the event, the case's projection, the chain head and the feed entry that carries the
decision down to the township are committed together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from central_api import publish
from central_api.store import CentralStore
from sync import events as ev
from sync.errors import InvalidInput, NotAllowed
from sync.events import Event, new_event
from sync.fold import FORWARDED, apply_event
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
) -> Event:
    """Approve or refuse a forwarded case held by ``by_org`` and send the decision down."""
    payload = {
        "outcome": outcome,
        "document_number": document_number.strip()[:50],
        "reasons": reasons.strip()[:500],
        "by_org": by_org,
    }
    return _write(store, central_key, case_number, ev.DECIDED, payload, by_org, actor, now)


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
    return _write(store, central_key, case_number, ev.RETURNED, payload, by_org, actor, now)


def _write(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    event_type: str,
    payload: dict[str, object],
    by_org: str,
    actor: str,
    now: datetime,
) -> Event:
    with store.transaction() as c:
        writer_seq, last_hash = store.chain_head(c, ev.CENTRAL_WRITER)
        state = store.case_by_number(c, case_number)
        if state is None:
            raise InvalidInput(f"没有办件 {case_number}。", field="case_number")
        if state.state != FORWARDED or state.holder_code != by_org:
            raise NotAllowed(
                f"办件 {case_number} 不在 {by_org} 待审批（当前由 {state.holder_code} 办理）。"
            )
        event = new_event(
            case_id=state.case_id,
            writer=ev.CENTRAL_WRITER,
            writer_seq=writer_seq + 1,
            prev_hash=last_hash,
            actor=actor,
            type=event_type,
            payload=payload,
            at=now,
        )
        following = apply_event(state, event)
        at = event.at
        store.add_events(
            c,
            [
                {
                    "event_id": event.event_id,
                    "case_id": event.case_id,
                    "org_code": state.org_code,
                    "writer": event.writer,
                    "writer_seq": event.writer_seq,
                    "prev_hash": event.prev_hash,
                    "hash": event.hash,
                    "actor": actor,
                    "at": at,
                    "type": event_type,
                    "payload": _json(payload),
                    "bundle_hash": None,
                    "status": "applied",
                    "reason": "",
                    "received_at": at,
                }
            ],
        )
        store.save_cases(c, [], [following])
        store.set_chain_head(c, ev.CENTRAL_WRITER, event.writer_seq, event.hash)
        answers = store.forwarding_bundle(c, state.case_id)
        publish.publish_case_event(store, c, central_key, following, event, answers, now)
    return event


def _json(payload: dict[str, object]) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False)
