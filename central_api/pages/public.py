"""The public progress page (办件进度查询): a resident types, or scans from the receipt, the case
number and the query code and sees the stages of the case, and rates the service once a step may be
rated (一事一评); the completion SMS's link (/r/<token>) opens the same rating without the code.
No log-in, no JavaScript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_limiter.errors import RateLimitExceeded

from central_api import rate_limit
from central_api.pages import rating_forms
from central_api.review import online_ratings, progress
from central_api.web import csrf
from staff_pages.display import translate_error
from sync.case_state import RATING_STEPS
from sync.errors import InvalidInput, NotAllowed, NotFound
from sync.events import utc_now
from sync.labels import RATING_STEP_LABELS
from sync.rating_rules import ALREADY_RATED

ROOT = Path(__file__).resolve().parents[2]
bp = Blueprint("public", __name__, template_folder=str(ROOT / "templates"))

NOT_FOUND = online_ratings.NOT_FOUND


def init_app(app: Flask) -> None:
    """Register the public page and its JSON twin, with their rate limit."""
    from central_api.device_api import public_api

    rate_limit.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(public_api.bp)


def private(response: Any) -> Any:
    """Keep an answer that a query code unlocked out of caches, referrers and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.context_processor
def rating_labels() -> dict[str, Any]:
    """Give the public templates the words for a rating's step."""
    return {"rating_step_label": lambda step: gettext(RATING_STEP_LABELS.get(step, step))}


def _store() -> Any:
    return current_app.extensions["central_store"]


def _page(status: int = 200, **context: Any) -> Any:
    """Render the progress page; ``context`` holds the case, the rating offer and the messages."""
    values: dict[str, Any] = {
        "number": "",
        "code": "",
        "case": None,
        "message": "",
        "rating": None,
        **context,
    }
    page = render_template("central/public/progress.html", **values)
    return private(make_response(page, status))


def _rating_offer(
    case: dict[str, Any], binding: str, action: str, hidden: dict[str, str], **typed: Any
) -> dict[str, Any] | None:
    """Return what the page needs to offer the rating of the case's open steps (None if none)."""
    if not case["rating_steps"]:
        return None
    return {
        "steps": case["rating_steps"],
        "scale": online_ratings.rating_scale(_store()),
        "token": rating_forms.form_token(binding),
        "action": action,
        "hidden": hidden,
        "typed": typed.get("typed", {}),
        "typed_reasons": typed.get("typed_reasons", []),
        "typed_step": typed.get("typed_step", ""),
        "error": typed.get("error", ""),
    }


def _thanks(case: dict[str, Any] | None) -> str:
    """Return the step the resident has just rated, if the page was reached after a rating."""
    step = request.args.get("rated", "")
    if case is None or step not in RATING_STEPS or step in case["rating_steps"]:
        return ""
    return step


@bp.get("/progress")
@rate_limit.progress_limit
def lookup() -> Any:
    """Show the progress form, and the case's stages when the number and the code match."""
    number = progress.clean_case_number(request.args.get("n"))
    code = progress.clean_query_code(request.args.get("q"))
    result, message = None, ""
    if "n" in request.args or "q" in request.args:
        if not number or not code:
            message = "请填写办件编号和查询码（均印在受理回执上）。"
        else:
            result = progress.case_progress(_store(), number, code, utc_now())
            message = "" if result else NOT_FOUND
    rating = None
    if result is not None:
        rating = _rating_offer(
            result, f"online:{number}", url_for("public.rate"), {"n": number, "q": code}
        )
    return _page(
        number=number,
        code=code,
        case=result,
        message=message,
        rating=rating,
        thanks=_thanks(result),
    )


def _typed_form() -> online_ratings.RatingForm:
    form = request.form
    return online_ratings.RatingForm(
        level=form.get("level", ""),
        reasons=tuple(form.getlist("reasons")),
        comment=form.get("comment", ""),
        named=form.get("named") == "1",
        rater_name=form.get("rater_name", ""),
        rater_phone=form.get("rater_phone", ""),
    )


def _refused_status(refusal: Exception) -> int:
    if isinstance(refusal, NotAllowed):
        return 409 if refusal.template == ALREADY_RATED else 403
    return 422


@bp.post("/progress/rate")
# Flask-WTF's session token is not used here: the form is public and anonymous, and a session
# cookie for every resident would be state the page does not need. ``rating_forms`` guards it
# instead (a signed form token from the page itself, and the Origin when the browser sends one).
@csrf.exempt
@rate_limit.rating_limit
def rate() -> Any:
    """Record a resident's rating of a step from the progress page, then show the thanks."""
    number = progress.clean_case_number(request.form.get("n"))
    code = progress.clean_query_code(request.form.get("q"))
    step = request.form.get("step", "")
    try:
        rating_forms.check_form(f"online:{number}")
        online_ratings.rate_online(
            _store(),
            current_app.extensions["central_key"],
            number,
            code,
            step,
            _typed_form(),
            "online",
            utc_now(),
        )
    except NotFound as refusal:
        return _page(404, message=translate_error(refusal))
    except (InvalidInput, NotAllowed) as refusal:
        case = (
            progress.case_progress(_store(), number, code, utc_now()) if number and code else None
        )
        if case is None:  # a forged form without a case: the lookup's own answer
            return _page(404, message=NOT_FOUND)
        rating = _rating_offer(
            case,
            f"online:{number}",
            url_for("public.rate"),
            {"n": number, "q": code},
            typed=request.form,
            typed_reasons=request.form.getlist("reasons"),
            typed_step=step,
            error=translate_error(refusal),
        )
        message = "" if rating and step in rating["steps"] else translate_error(refusal)
        status = _refused_status(refusal)
        return _page(status, number=number, code=code, case=case, rating=rating, message=message)
    # The address holds the query code, as the lookup's does: kept out of caches and referrers.
    return private(redirect(url_for("public.lookup", n=number, q=code, rated=step), code=303))


def _link_case(token: str) -> dict[str, Any] | None:
    state = online_ratings.case_of_link(_store(), token)
    if state is None:
        return None
    return progress.case_progress(_store(), state.case_number, state.query_code, utc_now())


@bp.get("/r/<token>")
@rate_limit.link_limit
def rating_link(token: str) -> Any:
    """Show the case of a completion SMS's rating link with its rating (no query code asked)."""
    case = _link_case(token)
    if case is None:
        return _page(404, message=online_ratings.LINK_NOT_FOUND)
    rating = _rating_offer(case, f"sms:{token}", url_for("public.rate_by_link", token=token), {})
    return _page(case=case, rating=rating, thanks=_thanks(case), via_link=True)


@bp.post("/r/<token>")
@csrf.exempt  # as ``rate``: the signed form token guards it
@rate_limit.rating_limit
def rate_by_link(token: str) -> Any:
    """Record a resident's rating through the completion SMS's link, then show the thanks."""
    step = request.form.get("step", "")
    try:
        rating_forms.check_form(f"sms:{token}")
        online_ratings.rate_by_link(
            _store(), current_app.extensions["central_key"], token, step, _typed_form(), utc_now()
        )
    except NotFound as refusal:
        return _page(404, message=translate_error(refusal))
    except (InvalidInput, NotAllowed) as refusal:
        case = _link_case(token)
        if case is None:
            return _page(404, message=online_ratings.LINK_NOT_FOUND)
        rating = _rating_offer(
            case,
            f"sms:{token}",
            url_for("public.rate_by_link", token=token),
            {},
            typed=request.form,
            typed_reasons=request.form.getlist("reasons"),
            typed_step=step,
            error=translate_error(refusal),
        )
        message = "" if rating and step in rating["steps"] else translate_error(refusal)
        status = _refused_status(refusal)
        return _page(status, case=case, rating=rating, message=message, via_link=True)
    return private(redirect(url_for("public.rating_link", token=token, rated=step), code=303))


@bp.errorhandler(RateLimitExceeded)
def rate_limited(error: RateLimitExceeded) -> Any:
    """Tell a resident who looked up or rated too often to wait a little, in Chinese."""
    rating = request.method == "POST"
    page = render_template("central/public/rate_limited.html", rating=rating)
    return private(make_response(page, 429))
