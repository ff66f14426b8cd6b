"""Supervision: the open re-examination requests and complaints under the supervisor's unit, and
their answers, which go down the feed to the township."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from central_api.pages.auth import login_required
from central_api.review import decisions
from central_api.web import get_store, now, page_errors, reviews
from staff_pages.display import translate_error
from sync.errors import DomainError, InvalidInput

bp = page_errors(Blueprint("petitions", __name__, url_prefix="/supervision/petitions"))


def _render(error: str = "", failed: str = "", status: int = 200, answer: str = "") -> Any:
    store = reviews()
    cases = store.open_petitions(store.subtree(g.user["org_code"]))
    open_petitions = [
        (case, petition)
        for case in cases
        for petition in case.petitions
        if petition["answer"] is None
    ]
    return (
        render_template(
            "central/petitions/index.html",
            petitions=open_petitions,
            units=store.unit_names(),
            error=error,
            failed=failed,
            answer=answer,
        ),
        status,
    )


@bp.get("/")
@login_required("answer_petitions")
def index() -> Any:
    """List the unanswered re-examination requests and complaints under the user's unit."""
    return _render()


@bp.post("/<number>/<petition_id>")
@login_required("answer_petitions")
def answer(number: str, petition_id: str) -> Any:
    """Answer one petition; the answer is written as a central event and sent to the township."""
    store = reviews()
    answer_text = request.form.get("answer", "")
    try:
        decisions.answer_petition(
            get_store(),
            current_app.extensions["central_key"],
            number,
            petition_id=petition_id,
            answer=answer_text,
            by_org=g.user["org_code"],
            units=store.subtree(g.user["org_code"]),
            actor=g.user["username"],
            now=now(),
        )
    except DomainError as refusal:
        status = 422 if isinstance(refusal, InvalidInput) else 409
        if refusal.template == decisions.NOT_YOURS:
            raise
        return _render(translate_error(refusal), petition_id, status, answer_text)
    flash(gettext("答复已保存，并已发送至乡镇。"), "success")
    return redirect(url_for("petitions.index"), code=303)
