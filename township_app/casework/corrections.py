"""Corrections (更正) at the window: the applicant's data, the proxy and the materials received of a
registered case, each with its old and new value and a reason, as one `corrected` event.

The rules (what may change, old values that must still be the case's, the reviewer after a
decision, the entrustment a proxy needs) are the fold's (``sync.correction_rules``); this module
turns the form into the event's changes, under the write lock, and writes it through the one write
path (``township_app.casework.case_log``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sync import events as ev
from sync.correction_rules import MATERIAL_PREFIX, NOTHING, PROXY_FIELD
from sync.errors import N_, Conflict, InvalidInput, NotFound
from sync.fold import CaseState
from township_app.casework import case_log
from township_app.casework.casework import Actor, ApplicantForm, clean_applicant
from township_app.roles import require_permission
from township_app.stores.store import Store

MAX_REASON = 500


def correction_changes(
    state: CaseState, cleaned: Mapping[str, Any], received: Iterable[str]
) -> list[dict[str, Any]]:
    """Return the changes from the case as it is to the corrected values (old and new of each)."""
    changes: list[dict[str, Any]] = []
    applicant = cleaned["applicant"]
    for key in ("name", "id_number", "phone", "address"):
        old, new = state.applicant.get(key, ""), applicant[key]
        if old != new:
            changes.append({"field": f"applicant.{key}", "old": old, "new": new})
    proxy = cleaned["proxy"]
    old_proxy = None if state.proxy is None else dict(state.proxy)
    if proxy != old_proxy:
        changes.append({"field": PROXY_FIELD, "old": old_proxy, "new": proxy})
    ticked = set(received)
    for material in state.materials:
        now_received = material["code"] in ticked
        if now_received != material["received"]:
            changes.append(
                {
                    "field": MATERIAL_PREFIX + material["code"],
                    "old": material["received"],
                    "new": now_received,
                }
            )
    return changes


def correct_case(
    store: Store,
    case_id: str,
    *,
    form: ApplicantForm,
    received: Iterable[str],
    reason: str,
    seen: str,
    villages: Iterable[str],
    actor: Actor,
    now: datetime,
    today: date,
) -> CaseState:
    """Correct a registered case's applicant, proxy or materials with a reason (更正), recording
    every old and new value; refuse if the case changed since the form was opened."""
    require_permission(actor.role, "correct")
    reason = reason.strip()
    if not reason:
        raise InvalidInput(N_("请填写更正原因。"), field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(N_("更正原因过长（最多 %(n)s 字）。"), field="reason", n=MAX_REASON)
    state = store.case(case_id)
    if state is None:
        raise NotFound(N_("没有找到该办件。"))
    # The village is not corrected here: keep the case's, so that the applicant checks pass.
    form_values = {**form.__dict__, "village_code": state.applicant.get("village_code", "")}
    cleaned = clean_applicant(
        ApplicantForm(**form_values),
        villages=[*villages, state.applicant.get("village_code", "")],
        today=today,
    )
    with case_log.writing(store) as writer:
        current = store.case(case_id)
        if current is None:
            raise NotFound(N_("没有找到该办件。"))
        if seen != current.last_event_id:
            raise Conflict(
                N_(
                    "办件在您打开更正页面后已有新的办理记录（可能其他窗口已更正），请刷新后重新更正。"
                )
            )
        changes = correction_changes(current, cleaned, received)
        if not changes:
            raise InvalidInput(NOTHING, field="changes")
        payload = {"reason": reason, "role": actor.role, "changes": changes}
        draft = case_log.Draft(case_id, ev.CORRECTED, payload, actor.username, now)
        return writer.write(draft, case_log.Origin.OWN)
