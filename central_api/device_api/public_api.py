"""The public progress as JSON: ``GET /api/v1/progress`` (docs/protocol.md 13.11).

Public: no device signature. Rate-limited per client IP together with the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_limiter.errors import RateLimitExceeded

from central_api import rate_limit
from central_api.pages.public import NOT_FOUND, private
from central_api.review import progress
from sync import stages
from sync.events import utc_now

bp = Blueprint("public_api", __name__, url_prefix="/api/v1")


def _error(code: str, message: str, status: int) -> Any:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return private(response)


@bp.get("/progress")
@rate_limit.progress_limit
def lookup() -> Any:
    """Answer a case's public progress for its case number and query code."""
    raw_number, raw_code = request.args.get("case_number", ""), request.args.get("query_code", "")
    if "\x00" in raw_number or "\x00" in raw_code:
        # No case number or code holds one, and PostgreSQL cannot even compare a text with it.
        return _error(
            stages.MALFORMED_REQUEST, "办件编号或查询码中含有不可见的控制字符（NUL）。", 400
        )
    number = progress.clean_case_number(raw_number)
    code = progress.clean_query_code(raw_code)
    if not number or not code:
        return _error(
            stages.MALFORMED_REQUEST, "请提供办件编号（case_number）和查询码（query_code）。", 400
        )
    result = progress.case_progress(
        current_app.extensions["central_store"], number, code, utc_now()
    )
    if result is None:
        return _error(stages.NOT_FOUND, NOT_FOUND, 404)
    return private(jsonify(result))


@bp.errorhandler(RateLimitExceeded)
def rate_limited(error: RateLimitExceeded) -> Any:
    """Refuse a lookup over the limit with ``rate_limited``."""
    return _error(stages.RATE_LIMITED, "查询过于频繁，请稍后再试。", 429)
