"""电话回访 at central: the queue of calls to make for the supervisor's units (差评 waiting for their
callback, and the sampled completed cases nobody has reached), the claim that lets one caller see
the applicant's phone, and the record of each attempt.

The list never shows a phone. "我来回访" claims the call for one caller (a claim lapses after
``CLAIM_LAPSE``); only the claimer's call page shows the numbers, and each showing is written to
the audit trail.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from central_api.pages.auth import login_required
from central_api.review import case_record, rectifications
from central_api.stores.rating_store import RatingStore
from central_api.web import get_store, now, page_errors, remote_addr, reviews
from staff_pages.display import translate_error
from sync.case_state import COMPLETED, TASK_CALLBACK
from sync.errors import N_, Conflict, DomainError, InvalidInput
from sync.fold import CaseState
from sync.rectification_rules import in_sample

bp = page_errors(Blueprint("callbacks", __name__, url_prefix="/callbacks"))

CLAIM_LAPSE = timedelta(hours=2)
CLAIMED_BY_OTHER = N_("这个回访正由 %(user)s 负责（%(at)s 认领），请回访其他办件。")
CLAIM_FIRST = N_("请先在回访列表中点「我来回访」认领，再查看电话。")
NOTHING_TO_CALL = N_("这个办件目前不需要回访。")
CHOOSE = {"yes": True, "no": False}


def _units() -> frozenset[str]:
    return reviews().subtree(g.user["org_code"])


def _render_list(error: str = "", status: int = 200) -> Any:
    store = RatingStore(get_store())
    rows = store.callback_queue(_units(), now(), CLAIM_LAPSE)
    return (
        render_template(
            "central/callbacks/index.html",
            rows=rows,
            units=reviews().unit_names(),
            error=error,
        ),
        status,
    )


@bp.get("/")
@login_required("call_back")
def index() -> Any:
    """List the callbacks to make for the user's units (no phone numbers)."""
    return _render_list()


def _calls(state: CaseState, units: frozenset[str]) -> list[dict[str, Any]]:
    """Return the callbacks a case waits for: each 差评 task at its callback, or the sample."""
    calls = [
        {"rating_id": task["rating_id"], "purpose": "rectification", "task": task}
        for task in state.rectifications
        if task["stage"] == TASK_CALLBACK and task["unit"] in units
    ]
    if (
        state.state == COMPLETED
        and not state.rectifications
        and state.org_code in units
        and not any(attempt["reached"] for attempt in state.callbacks)
        and in_sample(state.case_id, RatingStore(get_store()).sample_percent())
    ):
        calls.append({"rating_id": "", "purpose": "sample", "task": None})
    return calls


def _open_case(number: str) -> tuple[CaseState, list[dict[str, Any]]]:
    state = case_record.visible_case(reviews(), g.user, number)
    calls = _calls(state, _units())
    if not calls:
        raise Conflict(NOTHING_TO_CALL)
    return state, calls


@bp.post("/<number>/claim")
@login_required("call_back")
def claim(number: str) -> Any:
    """Claim a callback: the caller alone is then shown the applicant's phone."""
    state, _ = _open_case(number)
    other = RatingStore(get_store()).claim(state.case_id, g.user, now(), CLAIM_LAPSE)
    if other is not None:
        refusal = Conflict(CLAIMED_BY_OTHER, user=other["username"], at=other["claimed_at"])
        return _render_list(translate_error(refusal), 409)
    return redirect(url_for("callbacks.call", number=number), code=303)


def _render_call(
    state: CaseState, calls: list[dict[str, Any]], error: str = "", status: int = 200, form=None
) -> Any:
    store = RatingStore(get_store())
    claimed = store.live_claim(state.case_id, now(), CLAIM_LAPSE)
    if claimed is None or claimed["user_id"] != g.user["id"]:
        raise Conflict(CLAIM_FIRST)
    store.reveal(g.user["username"], state.case_number, now(), remote_addr())
    raters = {
        rating["rating_id"]: rating["rater_phone"] for rating in state.ratings if rating["named"]
    }
    return (
        render_template(
            "central/callbacks/call.html",
            case=state,
            calls=calls,
            raters=raters,
            units=reviews().unit_names(),
            error=error,
            form=form or {},
        ),
        status,
    )


@bp.get("/<number>")
@login_required("call_back")
def call(number: str) -> Any:
    """Show the claimer the phone numbers to call and the form to record the call."""
    state, calls = _open_case(number)
    return _render_call(state, calls)


@bp.post("/<number>/record")
@login_required("call_back")
def record(number: str) -> Any:
    """Record one attempt (reached or not, satisfied, note) and give the claim up."""
    state, calls = _open_case(number)
    store = RatingStore(get_store())
    form = request.form
    claimed = store.live_claim(state.case_id, now(), CLAIM_LAPSE)
    if claimed is None or claimed["user_id"] != g.user["id"]:
        raise Conflict(CLAIM_FIRST)
    try:
        # Only a call the case waits for: a 差评's whose callback is due, or the sample's.
        if form.get("rating_id", "") not in {call["rating_id"] for call in calls}:
            raise Conflict(NOTHING_TO_CALL)
        if form.get("reached", "") not in CHOOSE:
            raise InvalidInput(N_("请选择是否联系上申请人。"), field="reached")
        rectifications.record_callback(
            get_store(),
            current_app.extensions["central_key"],
            number,
            rating_id=form.get("rating_id", ""),
            reached=CHOOSE[form["reached"]],
            satisfied=CHOOSE.get(form.get("satisfied", "")),
            note=form.get("note", ""),
            units=_units(),
            actor=g.user["username"],
            now=now(),
        )
    except DomainError as refusal:
        status = 422 if isinstance(refusal, InvalidInput) else 409
        return _render_call(state, calls, translate_error(refusal), status, form.to_dict())
    store.release(state.case_id, g.user["id"])
    flash(gettext("回访记录已保存。"), "success")
    return redirect(url_for("callbacks.index"), code=303)
