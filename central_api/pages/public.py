"""The public progress page (办件进度查询): a resident types, or scans from the receipt, the case
number and the query code and sees the stages of the case. No log-in, no JavaScript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded

from central_api import rate_limit
from central_api.review import progress
from sync.events import utc_now

ROOT = Path(__file__).resolve().parents[2]
bp = Blueprint("public", __name__, template_folder=str(ROOT / "templates"))

NOT_FOUND = "没有找到与该办件编号和查询码相符的办件，请核对回执上的办件编号和查询码后重试。"


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
            result = progress.case_progress(
                current_app.extensions["central_store"], number, code, utc_now()
            )
            message = "" if result else NOT_FOUND
    page = render_template(
        "central/public/progress.html", number=number, code=code, case=result, message=message
    )
    return private(make_response(page, 200))


@bp.errorhandler(RateLimitExceeded)
def rate_limited(error: RateLimitExceeded) -> Any:
    """Tell a resident who looked up too often to wait a little, in Chinese."""
    return private(make_response(render_template("central/public/rate_limited.html"), 429))
