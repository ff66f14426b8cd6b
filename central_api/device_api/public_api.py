"""The public progress as JSON: ``GET /api/v1/progress`` (docs/protocol.md 13.11), and the online
rating: ``POST /api/v1/public/ratings`` (13.18).

Public: no device signature. Rate-limited per client IP together with the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_limiter.errors import RateLimitExceeded

from central_api import rate_limit
from central_api.pages.public import NOT_FOUND, private
from central_api.review import online_ratings, progress
from central_api.web import csrf
from sync import stages
from sync.errors import InvalidInput, NotAllowed, NotFound
from sync.events import utc_now
from sync.rating_rules import ALREADY_RATED
from sync.signing import strict_loads

# The body of a rating: each key's type, and whether it must be there.
_RATING_KEYS: dict[str, tuple[type, bool]] = {
    "case_number": (str, True),
    "query_code": (str, True),
    "step": (str, True),
    "level": (str, True),
    "reasons": (list, False),
    "comment": (str, False),
    "named": (bool, False),
    "rater_name": (str, False),
    "rater_phone": (str, False),
}
MAX_BODY_BYTES = 16 * 1024

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
    """Refuse a lookup or a rating over the limit with ``rate_limited``."""
    if request.method == "POST":
        return _error(stages.RATE_LIMITED, "提交评价过于频繁，请稍后再试。", 429)
    return _error(stages.RATE_LIMITED, "查询过于频繁，请稍后再试。", 429)


def _malformed(message: str) -> Any:
    return _error(stages.MALFORMED_REQUEST, message, 400)


def _rating_body() -> dict[str, Any] | str:
    """Return the request's rating body, or the message saying why it is not one."""
    # Only JSON is taken: a foreign page can post a form (urlencoded, multipart, text/plain)
    # from a visitor's browser without asking, but not application/json (CORS preflight, which
    # this server never grants). That is this endpoint's guard against cross-site posts.
    if request.mimetype != "application/json":
        return "请求须为 JSON（Content-Type: application/json）。"
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return "请求内容过长。"
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        return "请求内容过长。"
    try:
        body = strict_loads(raw)
    except RecursionError:
        return "请求内容嵌套过深。"
    except (InvalidInput, ValueError) as error:
        return f"请求内容不是有效的 JSON：{getattr(error, 'message', '')}".rstrip("：")
    if not isinstance(body, dict):
        return "请求内容须为 JSON 对象。"
    unknown = sorted(set(body) - set(_RATING_KEYS))
    if unknown:
        return f"不认识的字段：{str(unknown[0])[:40]}。"
    for key, (kind, required) in _RATING_KEYS.items():
        if key not in body:
            if required:
                return f"缺少字段 {key}。"
            continue
        if body[key].__class__ is not kind:
            return f"字段 {key} 的类型不正确。"
    reasons = body.get("reasons", [])
    if any(reason.__class__ is not str for reason in reasons):
        return "字段 reasons 须为字符串列表。"
    return body


@bp.post("/public/ratings")
@csrf.exempt  # JSON only (see ``_rating_body``); no session to protect
@rate_limit.rating_limit
def rate() -> Any:
    """Record a resident's rating of a step of a case, found by its number and query code."""
    body = _rating_body()
    if isinstance(body, str):
        return _malformed(body)
    number = progress.clean_case_number(body["case_number"])
    code = progress.clean_query_code(body["query_code"])
    if not number or not code:
        return _malformed("请提供办件编号（case_number）和查询码（query_code）。")
    form = online_ratings.RatingForm(
        level=body["level"],
        reasons=tuple(body.get("reasons", [])),
        comment=body.get("comment", ""),
        named=body.get("named", False),
        rater_name=body.get("rater_name", ""),
        rater_phone=body.get("rater_phone", ""),
    )
    try:
        event = online_ratings.rate_online(
            current_app.extensions["central_store"],
            current_app.extensions["central_key"],
            number,
            code,
            body["step"],
            form,
            "online",
            utc_now(),
        )
    except NotFound:
        return _error(stages.NOT_FOUND, NOT_FOUND, 404)  # as the lookup's: nothing told apart
    except NotAllowed as refusal:
        if refusal.template == ALREADY_RATED:
            return _error("already_rated", refusal.message, 409)
        return _error(stages.NOT_ALLOWED, refusal.message, 403)
    except InvalidInput as refusal:
        return _error("invalid_input", refusal.message, 422)
    answer = jsonify(
        {
            "rating_id": event.event_id,
            "step": event.payload["step"],
            "level": event.payload["level"],
            "bad": event.payload["bad"],
            "channel": event.payload["channel"],
        }
    )
    answer.status_code = 201
    return private(answer)
