"""The green channel (绿色通道): a case put first, with a reason and an approver, and the shorter
promised limit its item's catalogue entry sets.

A township reviewer grants it (``green_channel_granted``); the reviewer is the approver, the event's
actor. Where the catalogue gives the item a ``green_channel_days`` limit and the case is not yet
accepted, the case's promise becomes that limit: the receipt printed at acceptance carries it, and
every clock (lights, figures, supervision) reads it from the case's item. A case accepted before
the grant keeps the promise its receipt already made, and is put first all the same. Every queue
and inbox sorts open green-channel cases first (``priority_of``). Like every step of the fold, the
grant reads no clock and no database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sync import events as ev
from sync.case_payloads import text_field as _text
from sync.case_state import FINAL_STATES, CaseState
from sync.case_state import with_changes as _with
from sync.errors import N_, InvalidInput, NotAllowed

MAX_REASON = 500

ALREADY_GREEN = N_("该办件已在绿色通道中，不需要再次批准。")
NOT_FROM_ABOVE = N_("绿色通道由受理乡镇的审核人员批准，上级单位不能代为登记。")
NO_REASON = N_("批准绿色通道必须写明理由（如重点项目名称、急难情况）。")


def green_days(item: Mapping[str, Any]) -> int | None:
    """Return the shorter promised limit the catalogue sets for an item's green-channel cases, or
    None if it sets none."""
    days = item.get("green_channel_days")
    return days if isinstance(days, int) and not isinstance(days, bool) else None


def priority_of(state: CaseState) -> int:
    """Return a case's priority in queues and inboxes: 1 for an open green-channel case (sorted
    first), 0 for any other (a finished case keeps its mark but no longer goes first)."""
    return 1 if state.green_channel and state.state not in FINAL_STATES else 0


def _granted(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    if event.writer == ev.CENTRAL_WRITER:
        raise NotAllowed(NOT_FROM_ABOVE)
    if state.green_channel:
        raise NotAllowed(ALREADY_GREEN)
    reason = _text(p, "reason", NO_REASON)
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            N_("理由最多 %(most)s 个字，现有 %(count)s 个字。"),
            field="reason",
            most=MAX_REASON,
            count=len(reason),
        )
    item = state.item
    shorter = green_days(item)
    regular = int(item["promised_days"])
    # The promise is made at acceptance (the receipt prints it): only a case not yet accepted
    # takes the green limit, and only where it is shorter.
    takes_limit = (
        shorter is not None
        and not state.clock_started
        and item["kind"] != "immediate"
        and shorter < regular
    )
    green = {
        "reason": reason,
        "by": event.actor,
        "at": event.at,
        "on": event.day.isoformat(),
        "regular_promised_days": regular if takes_limit else None,
    }
    if takes_limit:
        item = {**item, "promised_days": shorter}
    return _with(state, green_channel=True, green=green, item=item)


GREEN_CHANNEL_STEPS: dict[str, Callable[[CaseState, ev.Event, Mapping[str, Any]], CaseState]] = {
    ev.GREEN_CHANNEL_GRANTED: _granted,
}
