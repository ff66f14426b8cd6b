"""The promised limit's other clocks at the township: the reviewer asks for an extension (延期,
行政许可法 §42) or records excluded time (特别程序, §45) while the township holds the case, and the
center's head (中心负责人) decides the extension. Each is written through ``case_log``, the one
write path, and the fold's rules (``sync.clock_rules``) decide what is allowed."""

from __future__ import annotations

from datetime import datetime

from sync import events as ev
from sync.clock_rules import MAX_CLOCK_TEXT, pending_extension
from sync.errors import N_, InvalidInput, NotAllowed, NotFound
from sync.fold import CaseState
from township_app.casework import case_log
from township_app.casework.casework import Actor, visible_case
from township_app.roles import require_permission
from township_app.stores.store import Store


def _days(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or len(text) > 3:
        raise InvalidInput(N_("延期天数应为正整数（工作日）。"), field="days")
    return int(text)


def _text(text: str) -> str:
    # One character over the limit is kept, so that the fold says how long it is.
    return text.strip()[: MAX_CLOCK_TEXT + 1]


def request_extension(
    store: Store, case_id: str, *, days: str, reason: str, actor: Actor, now: datetime
) -> CaseState:
    """Ask the center's head to extend the promised limit by ``days`` working days."""
    require_permission(actor.role, "request_extension")
    case_id = visible_case(store, case_id, actor).case_id
    payload = {"days": _days(days), "reason": _text(reason), "by_org": actor.org_code}
    draft = case_log.Draft(case_id, ev.EXTENSION_REQUESTED, payload, actor.username, now)
    return case_log.write_event(store, draft, case_log.Origin.OWN)


def decide_extension(
    store: Store, case_id: str, *, approved: bool, note: str, actor: Actor, now: datetime
) -> CaseState:
    """Approve or refuse the pending extension request (the head); the role goes in the payload,
    where the fold checks it."""
    require_permission(actor.role, "decide_extension")
    with case_log.writing(store) as writer:
        state = store.case(case_id)
        if state is None:
            raise NotFound(N_("没有找到该办件。"))
        pending = pending_extension(state)
        if pending is None:
            raise NotAllowed(N_("该办件没有待审批的这项延期申请。"))
        payload = {
            "request_id": pending["request_id"],
            "approved": approved,
            "note": _text(note),
            "role": actor.role,
            "by_org": actor.org_code,
        }
        draft = case_log.Draft(case_id, ev.EXTENSION_DECIDED, payload, actor.username, now)
        return writer.write(draft, case_log.Origin.OWN)


def start_excluded_time(
    store: Store, case_id: str, *, kind: str, reason: str, actor: Actor, now: datetime
) -> CaseState:
    """Record that excluded time (听证、检验、鉴定…) begins: the clock pauses."""
    require_permission(actor.role, "record_excluded_time")
    case_id = visible_case(store, case_id, actor).case_id
    payload = {"kind": kind, "reason": _text(reason), "by_org": actor.org_code}
    draft = case_log.Draft(case_id, ev.EXCLUDED_TIME_STARTED, payload, actor.username, now)
    return case_log.write_event(store, draft, case_log.Origin.OWN)


def end_excluded_time(
    store: Store, case_id: str, *, note: str, actor: Actor, now: datetime
) -> CaseState:
    """Record that the excluded time has ended: the clock runs again."""
    require_permission(actor.role, "record_excluded_time")
    case_id = visible_case(store, case_id, actor).case_id
    payload = {"note": _text(note), "by_org": actor.org_code}
    draft = case_log.Draft(case_id, ev.EXCLUDED_TIME_ENDED, payload, actor.username, now)
    return case_log.write_event(store, draft, case_log.Origin.OWN)
