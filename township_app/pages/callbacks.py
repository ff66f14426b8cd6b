"""电话回访 at the township: the queue of its own cases waiting for a callback, "我来回访" to take a
call (only its taker sees the phone number), and the result of each attempt."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext

from staff_pages.display import translate_error
from staff_pages.htmx import render_page
from sync.errors import Conflict, InvalidInput, NotAllowed
from township_app.casework import callbacks
from township_app.db import get_store, now
from township_app.pages.auth import current_actor, login_required

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")


@bp.route("/")
@login_required("call_back")
def index() -> Any:
    """List what waits for a callback, 差评 first; the phone only on the calls this user took."""
    return _queue_page()


def _queue_page(error: str = "", status: int = 200) -> Any:
    store = get_store()
    moment = now()
    rows = store.figures.callback_queue(org_code=g.user["org_code"])
    states: dict[str, Any] = {}
    for row in rows:
        claim = {"username": row["claimed_by"], "claimed_at": row["claimed_at"]}
        row["live_claim"] = bool(row["claimed_by"]) and callbacks.claim_is_live(claim, moment)
        row["mine"] = row["live_claim"] and row["claimed_by"] == g.user["username"]
        if row["mine"]:
            # The phone is read for the calls this user took, and for no other row.
            if row["case_id"] not in states:
                states[row["case_id"]] = store.case(row["case_id"])
            state = states[row["case_id"]]
            row["phone"] = callbacks.callee_phone(state, row["rating_id"]) if state else ""
            row["applicant"] = state.applicant["name"] if state else ""
    return render_page(
        "township/callbacks/index.html",
        "township/callbacks/_rows.html",
        status=status,
        rows=rows,
        users={u["username"]: u["display_name"] for u in store.users()},
        claim_hours=callbacks.CLAIM_HOURS,
        typed=request.form if error else {},
        error=error,
    )


@bp.route("/<case_id>/claim", methods=("POST",))
@login_required("call_back")
def claim(case_id: str) -> Any:
    """Take the call of a case (我来回访): its phone is shown to this user alone."""
    try:
        callbacks.claim_call(get_store(), case_id, current_actor(), now())
    except (InvalidInput, NotAllowed, Conflict) as refusal:
        return _queue_page(translate_error(refusal), 409 if isinstance(refusal, Conflict) else 422)
    return redirect(url_for("callbacks.index", _anchor=f"call-{case_id}"), code=303)


@bp.route("/<case_id>/record", methods=("POST",))
@login_required("call_back")
def record(case_id: str) -> Any:
    """Record one callback attempt: reached or not, satisfied or not, and a note."""
    form = request.form
    try:
        callbacks.record_callback(
            get_store(),
            case_id,
            form.get("rating_id", ""),
            reached=form.get("reached", ""),
            satisfied=form.get("satisfied", ""),
            note=form.get("note", ""),
            actor=current_actor(),
            now=now(),
        )
    except (InvalidInput, NotAllowed) as refusal:
        return _queue_page(translate_error(refusal), 422)
    flash(gettext("已记录回访结果。"), "success")
    return redirect(url_for("callbacks.index"), code=303)
