"""The rating screen (评价器): a full-screen page the clerk opens for the applicant (on a second screen,
or the monitor turned round) after acceptance or refusal and after delivery or completion.

The clerk's session opens it: the resident needs no log-in. After the rating it thanks the resident
and goes back to the clerk's case page by itself. It is all local, so it works offline; the rating
goes up with the next sync.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext

from staff_pages.display import translate_error
from sync.case_state import RATING_STEPS
from sync.errors import N_, InvalidInput, NotAllowed, NotFound
from sync.fold import CaseState
from sync.labels import RATING_CHANNEL_LABELS, RATING_STEP_LABELS
from sync.rating_rules import ALREADY_RATED
from township_app.casework import ratings
from township_app.casework.casework import visible_case
from township_app.db import get_store, now
from township_app.pages.auth import current_actor, login_required

bp = Blueprint("ratings", __name__, url_prefix="/ratings")

RETURN_SECONDS = 6  # how long the thanks stay before the screen goes back to the clerk's page


@bp.app_context_processor
def rating_labels() -> dict[str, Any]:
    """Give templates the words for a rating's step and channel."""
    return {
        "rating_step_label": lambda step: gettext(RATING_STEP_LABELS.get(step, step)),
        "rating_channel_label": lambda c: gettext(RATING_CHANNEL_LABELS.get(c, c)),
    }


def _step(step: str) -> str:
    if step not in RATING_STEPS:
        raise NotFound(N_("没有这个评价环节。"))
    return step


@bp.route("/<case_id>/<step>", methods=("GET", "POST"))
@login_required("rate")
def rate(case_id: str, step: str) -> Any:
    """Show the rating screen of a step of a case, and record the applicant's rating."""
    store = get_store()
    step = _step(step)
    state = visible_case(store, case_id, current_actor())
    error = ""
    if request.method == "POST":
        form = request.form
        rating = ratings.RatingForm(
            level=form.get("level", ""),
            reasons=tuple(form.getlist("reasons")),
            comment=form.get("comment", ""),
            named=form.get("named") == "1",
            rater_name=form.get("rater_name", ""),
            rater_phone=form.get("rater_phone", ""),
        )
        try:
            ratings.rate_case(store, case_id, step, rating, current_actor(), now())
        except (InvalidInput, NotAllowed) as refusal:
            error = translate_error(refusal)
        else:
            return redirect(url_for("ratings.thanks", case_id=case_id, step=step), code=303)
    elif state.rating(step) is not None:
        error = gettext(ALREADY_RATED)
    return _screen(state, step, error)


def _screen(state: CaseState, step: str, error: str) -> Any:
    page = render_template(
        "township/ratings/screen.html",
        case=state,
        step=step,
        scale=get_store().rating_scale(),
        typed=request.form if request.method == "POST" else {},
        typed_reasons=request.form.getlist("reasons") if request.method == "POST" else [],
        error=error,
    )
    return page, 422 if error and request.method == "POST" else 200


@bp.route("/<case_id>/<step>/thanks")
@login_required("rate")
def thanks(case_id: str, step: str) -> Any:
    """Thank the resident, then go back to the clerk's case page by itself."""
    state = visible_case(get_store(), case_id, current_actor())
    return render_template(
        "township/ratings/thanks.html",
        case=state,
        step=_step(step),
        seconds=RETURN_SECONDS,
        back=url_for("cases.show", case_id=state.case_id, _anchor="ratings"),
    )
