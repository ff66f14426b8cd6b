"""The green channel and fees at the window: grant the green channel (the reviewer), issue the payment
notice (缴款通知书), record the bank payment, waive a fee with its basis.

Every write goes through the one write path (``casework.record`` → ``case_log``); the fold's rules
(``sync.green_channel``, ``sync.fee_rules``) are the checks, with their messages. What is here only
turns a form's text into the payload's values (yuan into fen, the day paid) and names the permission.
"""

from __future__ import annotations

import re
from datetime import datetime

from sync import events as ev
from sync.errors import N_, InvalidInput
from sync.fold import CaseState
from township_app.casework.casework import Actor, record
from township_app.roles import require_permission
from township_app.stores.store import Store

_YUAN = re.compile(r"(\d{1,9})(?:\.(\d{1,2}))?")


def fen_of(text: str) -> int:
    """Return an amount typed in yuan ("20", "20.5", "20.00") in fen, or refuse it."""
    found = _YUAN.fullmatch(text.strip().replace("，", "").replace(",", ""))
    if not found:
        raise InvalidInput(N_("金额不正确：请按元填写，如 20.00。"), field="amount_fen")
    return int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0"))


def notice_number_of(state: CaseState) -> str:
    """Return the payment notice's number: the case number's, so one case has one notice."""
    return "JK" + state.case_number


def grant_green_channel(
    store: Store, case_id: str, *, reason: str, actor: Actor, now: datetime
) -> CaseState:
    """Put a case in the green channel, the acting reviewer as its approver."""
    require_permission(actor.role, "grant_green_channel")
    return record(store, case_id, ev.GREEN_CHANNEL_GRANTED, {"reason": reason}, actor, now)


def assess_fee(store: Store, case_id: str, *, actor: Actor, now: datetime) -> CaseState:
    """Issue the payment notice (窗口开票) with the fee code and amount of the case's item."""
    require_permission(actor.role, "collect_fee")
    state = store.case(case_id)
    item = state.item if state is not None else {}
    payload = {
        "fee_code": str(item.get("fee_code") or ""),
        "amount_fen": int(item.get("fee_fen") or 0),
        "notice_number": notice_number_of(state) if state is not None else "",
    }
    return record(store, case_id, ev.FEE_ASSESSED, payload, actor, now)


def record_payment(
    store: Store,
    case_id: str,
    *,
    receipt_number: str,
    amount: str,
    paid_on: str,
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Record the bank's receipt of a case's fee: its number, the amount and the day paid."""
    require_permission(actor.role, "collect_fee")
    payload = {
        "receipt_number": receipt_number.strip(),
        "amount_fen": fen_of(amount),
        "paid_on": paid_on.strip(),
    }
    return record(store, case_id, ev.PAYMENT_RECORDED, payload, actor, now)


def exempt_fee(
    store: Store, case_id: str, *, basis: str, note: str, actor: Actor, now: datetime
) -> CaseState:
    """Waive a case's fee (减免) with its basis; the reviewer decides it."""
    require_permission(actor.role, "exempt_fee")
    payload = {"basis": basis.strip(), "note": note.strip()}
    return record(store, case_id, ev.FEE_EXEMPTED, payload, actor, now)
