"""Preliminary review (初审) at the township: the reviewer's queue and forwarding to the county."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from staff_pages.htmx import render_page
from sync.fold import IN_REVIEW
from township_app.casework import casework
from township_app.db import get_store, now
from township_app.pages.auth import current_actor, login_required
from township_app.pages.cases import act_on_case

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("/")
@login_required("forward")
def index() -> Any:
    """List accepted cases waiting for the township's preliminary review, oldest first."""
    store = get_store()
    return render_page(
        "township/review/index.html",
        "township/review/index.html",
        cases=store.cases_in_state(IN_REVIEW),
        outbox=store.outbox_waiting(),
    )


@bp.route("/<case_id>/forward", methods=("POST",))
@login_required("forward")
def forward(case_id: str) -> Any:
    """Record the preliminary review opinion and forward the case (it waits in the outbox)."""
    return act_on_case(
        case_id,
        lambda: casework.forward_case(
            get_store(),
            case_id,
            opinion=request.form.get("opinion", ""),
            conclusion=request.form.get("conclusion", ""),
            actor=current_actor(),
            now=now(),
        ),
    )
