"""The promised limit's other clocks at central: a county's or city's reviewer asks for an extension
(延期, 行政许可法 §42) or records excluded time (特别程序, §45), and the unit's head decides the
extension. Each writes through ``central_api.review.central_log``, central's one write path, and the
fold's rules (``sync.clock_rules``) decide what is allowed.
"""

from __future__ import annotations

from datetime import datetime

from central_api.review.central_log import write_event
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.clock_rules import MAX_CLOCK_TEXT, pending_extension
from sync.errors import N_, InvalidInput, NotAllowed
from sync.events import Event
from sync.fold import CaseState
from sync.signing import SigningKey

NOT_HELD = N_("该办件当前不由您所在单位办理，不能申请延期或登记特别程序。")


def _days(text: str) -> int:
    """Return the working days typed in a form, or refuse them in words."""
    text = text.strip()
    if not text.isdigit() or len(text) > 3:
        raise InvalidInput(N_("延期天数应为正整数（工作日）。"), field="days")
    return int(text)


def _held_by(by_org: str):
    def check(state: CaseState) -> None:
        if state.holder_code != by_org:
            raise NotAllowed(NOT_HELD)

    return check


def request_extension(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    days: str,
    reason: str,
    by_org: str,
    actor: str,
    now: datetime,
) -> Event:
    """Ask the unit's head to extend the promised limit of a case the unit holds."""
    payload = {
        "days": _days(days),
        "reason": reason.strip()[: MAX_CLOCK_TEXT + 1],
        "by_org": by_org,
    }
    return write_event(
        store, central_key, case_number, ev.EXTENSION_REQUESTED, payload, actor, now,
        _held_by(by_org),
    )  # fmt: skip


def decide_extension(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    approved: bool,
    note: str,
    role: str,
    by_org: str,
    actor: str,
    now: datetime,
) -> Event:
    """Approve or refuse the pending extension request of a case: the head of the unit that asked.
    The user's role goes into the payload, where the fold checks it."""
    payload: dict[str, object] = {
        "approved": approved,
        "note": note.strip()[: MAX_CLOCK_TEXT + 1],
        "role": role,
        "by_org": by_org,
    }

    def check_and_fill(state: CaseState) -> None:
        # The request is read inside the write's transaction (new_event copies the payload after).
        pending = pending_extension(state)
        if pending is None:
            raise NotAllowed(N_("该办件没有待审批的这项延期申请。"))
        payload["request_id"] = pending["request_id"]

    return write_event(
        store, central_key, case_number, ev.EXTENSION_DECIDED, payload, actor, now,
        check_and_fill,
    )  # fmt: skip


def start_excluded_time(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    kind: str,
    reason: str,
    by_org: str,
    actor: str,
    now: datetime,
) -> Event:
    """Record that excluded time (听证、检验、鉴定…) begins on a case the unit holds."""
    payload = {"kind": kind, "reason": reason.strip()[: MAX_CLOCK_TEXT + 1], "by_org": by_org}
    return write_event(
        store, central_key, case_number, ev.EXCLUDED_TIME_STARTED, payload, actor, now,
        _held_by(by_org),
    )  # fmt: skip


def end_excluded_time(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    note: str,
    by_org: str,
    actor: str,
    now: datetime,
) -> Event:
    """Record that the running excluded time has ended: the clock runs again."""
    payload = {"note": note.strip()[: MAX_CLOCK_TEXT + 1], "by_org": by_org}
    return write_event(
        store, central_key, case_number, ev.EXCLUDED_TIME_ENDED, payload, actor, now,
        lambda state: None,
    )  # fmt: skip
