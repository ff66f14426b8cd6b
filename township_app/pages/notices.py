"""Printed papers: the acceptance receipt (受理回执), the not-accepted notice, the supplement notice
(一次性告知书, also for a case returned from above) and the decision notice (审批决定书) of a decision
from above, each for A4 or an 80 mm receipt printer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from flask import Blueprint, current_app, render_template, request

from sync import events as ev
from sync.case_clock import promised_completion, promised_is_provisional
from sync.errors import N_, Conflict
from sync.fold import NOT_ACCEPTED, SUPPLEMENT_REQUESTED
from township_app.casework import casework, results
from township_app.casework.staff_names import staff_names
from township_app.db import get_calendar, get_store
from township_app.pages.auth import current_actor, login_required

bp = Blueprint("notices", __name__, url_prefix="/cases")


def progress_url(case_number: str, query_code: str) -> str:
    """Return the public progress page's address for a case (what the QR code holds), or "" when
    central has published none to this PC and none is set here: then no QR is printed."""
    base = str(current_app.config["PUBLIC_PROGRESS_URL"] or "").strip()
    base = base or get_store().public_progress_url()
    if not base:
        return ""
    return f"{base}?{urlencode({'n': case_number, 'q': query_code})}"


def _paper(case_id: str, template: str, decided_by: str | None, **context: Any) -> str:
    store = get_store()
    state = casework.visible_case(store, case_id, current_actor())
    width = "receipt" if request.args.get("width") == "receipt" else "a4"
    events = store.case_events(case_id)
    users = staff_names(store.users(), events)
    # The officer named on the paper is the one who took the decision it records; on a paper that
    # carries a decision from above to the applicant, the clerk who hands it over.
    deciding = [e for e in events if e.type == decided_by] or events
    actor = deciding[-1].actor if decided_by else current_actor().username
    return render_template(
        template,
        case=state,
        width=width,
        users=users,
        org_names=store.org_names(),
        item=store.item(state.item["code"]) or state.item,
        case_actor=actor,
        events=events,
        **context,
    )


@bp.route("/<case_id>/receipt")
@login_required()
def receipt(case_id: str) -> Any:
    """Print the acceptance receipt with the promised date, query code and QR code."""
    state = casework.visible_case(get_store(), case_id, current_actor())
    if state.accepted_on is None:
        raise Conflict(N_("办件尚未受理，不能打印受理回执。"))
    url = progress_url(state.case_number, state.query_code)
    calendar = get_calendar()
    promised_on = promised_completion(state, calendar)
    return _paper(
        case_id,
        "township/notices/receipt.html",
        ev.ACCEPTED,
        promised_on=promised_on,
        promised_provisional=promised_is_provisional(state, promised_on, calendar),
        progress_url=url,
        qr_svg=segno.make(url, error="m").svg_inline(scale=3, dark="#000") if url else "",
    )


@bp.route("/<case_id>/refusal-notice")
@login_required()
def refusal(case_id: str) -> Any:
    """Print the not-accepted notice (不予受理通知书) with reasons and remedies."""
    state = casework.visible_case(get_store(), case_id, current_actor())
    if state.state != NOT_ACCEPTED:
        raise Conflict(N_("办件没有被决定不予受理，不能打印不予受理通知书。"))
    return _paper(case_id, "township/notices/refusal.html", ev.REFUSED)


@bp.route("/<case_id>/supplement-notice")
@login_required()
def supplement(case_id: str) -> Any:
    """Print the supplement notice (一次性告知书) listing every missing material."""
    store = get_store()
    state = casework.visible_case(store, case_id, current_actor())
    if state.state != SUPPLEMENT_REQUESTED:
        raise Conflict(N_("办件当前不在待补正状态，不能打印一次性告知书。"))
    returned = results.return_from_above(store.case_events(case_id))
    return _paper(
        case_id,
        "township/notices/supplement.html",
        None if returned else ev.SUPPLEMENT_REQUESTED,
        returned=returned,
    )


@bp.route("/<case_id>/decision-notice")
@login_required()
def decision(case_id: str) -> Any:
    """Print the decision from above: the approval with its document number, or the refusal with
    its reasons and how to seek re-examination, reconsideration or litigation."""
    store = get_store()
    casework.visible_case(store, case_id, current_actor())
    found = results.decision_of(store.case_events(case_id))
    if found is None:
        raise Conflict(N_("办件尚无上级审批结果，不能打印审批决定书。"))
    return _paper(case_id, "township/notices/decision.html", None, decision=found)
