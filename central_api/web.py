"""What every central page shares: CSRF, sessions that end, security headers, template helpers, and
the one place where domain errors become page messages (the device API keeps its JSON errors)."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    render_template,
    request,
    session,
)
from flask_babel import gettext
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from central_api import i18n, roles
from central_api.case_record import NOT_FOUND
from central_api.review_store import ReviewStore
from central_api.store import CentralStore
from staff_pages.display import label_helpers, local_time, translate_error
from staff_pages.input_guard import nul_refusal
from staff_pages.navigation import to_login
from staff_pages.sessions import IdleSessionInterface
from sync.case_clock import case_deadline
from sync.deadlines import WorkingCalendar
from sync.errors import CalendarUnknown, Conflict, DomainError, InvalidInput, NotAllowed
from sync.events import CHINA_TZ, utc_now
from sync.ids import mask_resident_id
from sync.page_headers import page_headers

log = logging.getLogger(__name__)

csrf = CSRFProtect()


def get_store() -> CentralStore:
    """Return the app's central store."""
    return current_app.extensions["central_store"]


def reviews() -> ReviewStore:
    """Return the reviewers' SQL over the app's store."""
    return ReviewStore(get_store())


def now() -> datetime:
    """Return the current time (UTC)."""
    return utc_now()


def today() -> date:
    """Return today's date in China."""
    return now().astimezone(CHINA_TZ).date()


def get_calendar() -> WorkingCalendar:
    """Return the working-day calendar with every year central has published laid over it."""
    if "calendar" not in g:
        g.calendar = WorkingCalendar(reviews().calendars())
    return g.calendar


def remote_addr() -> str:
    """Return the client's address for the audit trail."""
    return request.remote_addr or ""


def error_page(message: str, status: int) -> tuple[str, int]:
    """Render the plain error page with a message for people."""
    return render_template("central/error.html", message=message, status=status), status


def _domain_error(error: DomainError) -> Any:
    status = {NotAllowed: 403, Conflict: 409, CalendarUnknown: 422, InvalidInput: 422}.get(
        type(error), 422
    )
    if error.template == NOT_FOUND:
        status = 404
    return error_page(translate_error(error), status)


def http_error_page(error: HTTPException) -> Any:
    """Answer an HTTP-level error (unknown page, wrong method) with the plain error page."""
    if isinstance(error, CSRFError):
        return error_page(gettext("页面已过期或表单来源不明，请刷新页面后重新提交。"), 400)
    messages = {
        404: gettext("没有找到这个页面。"),
        405: gettext("不支持这种操作方式。"),
        400: gettext("请求不完整或格式不正确。"),
    }
    status = error.code or 500
    return error_page(messages.get(status, gettext("请求无法处理。")), status)


def server_error_page(error: Exception) -> Any:
    """Answer an unexpected failure of a page with the plain error page, and log it."""
    # The reviewer sees a plain message; the details go to the log (which holds no personal data).
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_page(
        gettext("系统出现意外错误，本次操作没有保存。请稍后重试或联系信息化人员。"), 500
    )


def page_errors(bp: Blueprint) -> Blueprint:
    """Give a page blueprint HTML error pages (the app-wide handlers answer the device API's JSON)."""
    bp.register_error_handler(DomainError, _domain_error)
    bp.register_error_handler(HTTPException, http_error_page)
    bp.register_error_handler(Exception, server_error_page)
    return bp


def _refuse_nul() -> Any:
    """Refuse a page request with a NUL in a field (the JSON APIs refuse it their own way)."""
    if request.blueprint in ("api_v1", "public_api"):
        return None
    message = nul_refusal()
    return error_page(message, 400) if message else None


def _enforce_session() -> Any:
    """Load the logged-in user; end sessions too old, idle too long (cookie expiry) or disabled."""
    g.user = None
    if request.endpoint in (None, "static") or request.blueprint == "api_v1":
        return None
    if not session.get("user_id"):
        return None
    max_age = timedelta(hours=int(current_app.config["SESSION_MAX_HOURS"])).total_seconds()
    if datetime.now(UTC).timestamp() - session.get("login_at", 0) > max_age:
        session.clear()
        return to_login(expired=1)
    user = reviews().user_by_id(session["user_id"])
    if user is None or not user["active"]:
        session.clear()
        return to_login()
    g.user = user
    session.modified = True  # slide the idle timeout
    return None


def _security_headers(response: Response) -> Response:
    if request.blueprint == "api_v1":
        return response
    for name, value in page_headers(bool(session.get("user_id"))).items():
        response.headers.setdefault(name, value)
    return response


def _template_helpers() -> dict[str, Any]:
    user = g.get("user")
    return {
        "current_user": user,
        "may": (lambda permission: bool(user) and roles.may(user["role"], permission)),
        "role_label": lambda role: gettext(roles.ROLE_LABELS.get(role, role)),
        **label_helpers(),
        "deadline": lambda state: case_deadline(state, today(), get_calendar()),
        "lang": session.get("lang", "zh"),
    }


def _secret_key(home: Path) -> str:
    # In the data folder every worker shares, so a session is good on any worker and survives a
    # restart; created exclusively, so two workers starting together agree on one key.
    path = home / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


def init_app(app: Flask, exempt: list[Blueprint]) -> None:
    """Wire sessions, CSRF (not for the signed device API), languages, headers and helpers."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.config["CENTRAL_HOME"]))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="bianmin_central",
        WTF_CSRF_TIME_LIMIT=None,  # the session's own expiry bounds the token
    )
    app.permanent_session_lifetime = timedelta(minutes=int(app.config["SESSION_IDLE_MINUTES"]))
    app.session_interface = IdleSessionInterface()
    csrf.init_app(app)
    for blueprint in exempt:
        csrf.exempt(blueprint)
    i18n.init_app(app)
    app.before_request(_refuse_nul)
    app.before_request(_enforce_session)
    app.after_request(_security_headers)
    app.context_processor(_template_helpers)
    app.jinja_env.filters["mask_id"] = mask_resident_id
    app.jinja_env.filters["local_time"] = local_time
