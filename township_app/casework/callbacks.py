"""Callbacks at the township (电话回访) of its own cases: a 差评 answered to the applicant, and the
sample of completed cases (``kept_figures.queue_rows`` says which wait).

One caller at a time: "我来回访" claims the call, and only the claimer sees the phone number, so
that an applicant is not rung twice and the number is shown only to the one who dials it. A claim
nobody finished lapses after ``CLAIM_HOURS``. The result is a ``called_back`` event, written through
the one write path in the same transaction that lets go of the claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sync import events as ev
from sync.errors import N_, Conflict, NotAllowed, NotFound
from sync.events import format_time, parse_time
from sync.fold import CaseState
from township_app.casework import case_log
from township_app.casework.casework import Actor, visible_case
from township_app.roles import require_permission
from township_app.stores.store import Store

CLAIM_HOURS = 2
ANSWERS = {"1": True, "0": False}

NOT_WAITING = N_("这个办件现在不需要回访。")
CLAIMED_BY_OTHER = N_("%(who)s 正在回访这个办件（%(minutes)s 分钟前认领），请回访其他办件。")
NOT_CLAIMED = N_("请先点「我来回访」认领，再记录回访结果（认领 %(hours)s 小时后失效）。")


def claim_is_live(claim: Mapping[str, Any] | None, now: datetime) -> bool:
    """Tell whether a claim on a call still holds (it lapses ``CLAIM_HOURS`` after it was made)."""
    return claim is not None and now - parse_time(claim["claimed_at"]) < timedelta(
        hours=CLAIM_HOURS
    )


def holds_claim(claim: Mapping[str, Any] | None, username: str, now: datetime) -> bool:
    """Tell whether a user holds the live claim on a call."""
    return claim is not None and claim["username"] == username and claim_is_live(claim, now)


def _own_case(store: Store, case_id: str, actor: Actor) -> CaseState:
    state = visible_case(store, case_id, actor)
    if state.org_code != actor.org_code:
        raise NotFound(N_("没有找到该办件。"))
    return state


def claim_call(store: Store, case_id: str, actor: Actor, now: datetime) -> None:
    """Take the call of a case waiting for a callback, unless someone else is making it."""
    require_permission(actor.role, "call_back")
    _own_case(store, case_id, actor)
    kept = store.figures
    with store.write():
        if not kept.case_queue(case_id):
            raise NotAllowed(NOT_WAITING)
        claim = kept.claim(case_id)
        if claim_is_live(claim, now) and claim is not None and claim["username"] != actor.username:
            minutes = int((now - parse_time(claim["claimed_at"])).total_seconds() // 60)
            user = store.user_by_username(claim["username"])
            who = user["display_name"] if user else claim["username"]
            raise Conflict(CLAIMED_BY_OTHER, who=who, minutes=minutes)
        kept.set_claim(case_id, actor.username, format_time(now))


def callee_phone(state: CaseState, rating_id: str) -> str:
    """Return the number to call: the rater's own, when the 差评 was given with a name (实名),
    else the applicant's (or the proxy's, when the applicant left none)."""
    rating = next((r for r in state.ratings if r["rating_id"] == rating_id), None)
    if rating and rating.get("named") and rating.get("rater_phone"):
        return str(rating["rater_phone"])
    proxy = state.proxy or {}
    return str(state.applicant.get("phone") or proxy.get("phone") or "")


def record_callback(
    store: Store,
    case_id: str,
    rating_id: str,
    *,
    reached: str,
    satisfied: str,
    note: str,
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Record one callback attempt by its claimer (reached or not; satisfied or not) and let go of
    the claim; an applicant not reached stays in the queue for another attempt."""
    require_permission(actor.role, "call_back")
    _own_case(store, case_id, actor)
    with case_log.writing(store) as writer:
        kept = store.figures
        if not holds_claim(kept.claim(case_id), actor.username, now):
            raise NotAllowed(NOT_CLAIMED, hours=CLAIM_HOURS)
        entry = kept.queue_entry(case_id, rating_id)
        if entry is None:
            raise NotAllowed(NOT_WAITING)
        was_reached = ANSWERS.get(reached)
        payload: dict[str, Any] = {
            "purpose": entry["purpose"],
            # Neither chosen: the fold asks. Not reached: a satisfaction ticked before is dropped.
            "reached": was_reached,
            "satisfied": ANSWERS.get(satisfied) if was_reached else None,
            "note": note.strip(),
        }
        if entry["purpose"] == "rectification":
            payload["rating_id"] = rating_id
        draft = case_log.Draft(case_id, ev.CALLED_BACK, payload, actor.username, now)
        following = writer.write(draft, case_log.Origin.OWN)
        kept.release_claim(case_id)
        return following
