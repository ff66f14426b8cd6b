"""A 差评's rectification at the township (差评整改): 核实 → 整改 → (central's review) → 反馈.

Each step is written through ``casework.record``, the one write path: the fold
(``sync.rectification_rules``) decides whether the task is at that stage, whether this unit writes
it and whether the text is there, with its message; a refused step writes nothing. The review is
central's: it comes down with the feed like a decision. The callback is ``callbacks.py``'s.
"""

from __future__ import annotations

from datetime import datetime

from sync import events as ev
from sync.fold import CaseState
from township_app.casework.casework import Actor, record, visible_case
from township_app.roles import require_permission
from township_app.stores.store import Store

UPHELD = {"1": True, "0": False}  # the form's 属实 / 不属实


def verify_task(
    store: Store, case_id: str, rating_id: str, text: str, actor: Actor, now: datetime
) -> CaseState:
    """Record what the unit found when it looked into a 差评 (核实)."""
    require_permission(actor.role, "rectify")
    visible_case(store, case_id, actor)
    payload = {"rating_id": rating_id, "text": text.strip()}
    return record(store, case_id, ev.RECTIFICATION_VERIFIED, payload, actor, now)


def rectify_task(
    store: Store,
    case_id: str,
    rating_id: str,
    *,
    upheld: str,
    text: str,
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Record whether the 差评 is upheld and what was fixed, or why it is not (整改); a supervisor
    at central reviews it next."""
    require_permission(actor.role, "rectify")
    visible_case(store, case_id, actor)
    # Neither 属实 nor 不属实 chosen: the fold asks for it.
    payload = {"rating_id": rating_id, "upheld": UPHELD.get(upheld), "text": text.strip()}
    return record(store, case_id, ev.RECTIFIED, payload, actor, now)


def answer_task(
    store: Store,
    case_id: str,
    rating_id: str,
    *,
    method: str,
    text: str,
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Record the answer given to the applicant (反馈: by phone, SMS or in person)."""
    require_permission(actor.role, "rectify")
    visible_case(store, case_id, actor)
    payload = {"rating_id": rating_id, "method": method, "text": text.strip()}
    return record(store, case_id, ev.RECTIFICATION_ANSWERED, payload, actor, now)
