"""What every central page shares: CSRF, sessions that end, security headers, template helpers, and
the one place where domain errors become page messages (the device API keeps its JSON errors)."""

from __future__ import annotations

import json
import logging
import os
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    request,
    session,
)
from flask_babel import gettext
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from central_api import i18n, roles, users
from central_api.review.case_record import NOT_FOUND
from central_api.stores.review_store import ReviewStore
from central_api.stores.store import CentralStore
from staff_pages import exports
from staff_pages.display import label_helpers, local_time
from staff_pages.error_pages import ErrorPages
from staff_pages.host_check import host_refusal
from staff_pages.input_guard import nul_refusal
from staff_pages.page_headers import add_allow_header, page_headers
from staff_pages.sessions import IdleSessionInterface, load_user
from sync.case_clock import case_deadline
from sync.case_state import TASK_STAGE_LABELS
from sync.deadlines import WorkingCalendar
from sync.errors import DomainError
from sync.events import CHINA_TZ, utc_now
from sync.identity_documents import mask_document_number
from sync.labels import (
    ANSWER_METHOD_LABELS,
    CALLBACK_PURPOSE_LABELS,
    RATING_STEP_LABELS,
)
from sync.stages import MALFORMED_REQUEST

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
    """Return the pages' working-day calendar with every year central has published laid over it,
    and a provisional (暂定) one for a year nobody has published."""
    if "calendar" not in g:
        g.calendar = WorkingCalendar(reviews().calendars(), provisional=True)
    return g.calendar


def remote_addr() -> str:
    """Return the client's address for the audit trail."""
    return request.remote_addr or ""


pages = ErrorPages("central/error.html")


def error_page(message: str, status: int) -> Response:
    """Render the plain error page with a message for people."""
    return pages.page(message, status)


def _domain_error(error: DomainError) -> Any:
    return pages.domain_error(error, 404 if error.template == NOT_FOUND else None)


def http_error_page(error: HTTPException) -> Any:
    """Answer an HTTP-level error (unknown page, wrong method) with the plain error page."""
    return pages.http_error(error)


def page_errors(bp: Blueprint) -> Blueprint:
    """Give a page blueprint HTML error pages (the app-wide handlers answer the device API's JSON)."""
    bp.register_error_handler(DomainError, _domain_error)
    bp.register_error_handler(HTTPException, pages.http_error)
    bp.register_error_handler(Exception, pages.server_error)
    return bp


def _refuse_other_hosts() -> Any:
    """Refuse a request whose Host names another site (a page in a browser, or the JSON APIs)."""
    if request.endpoint == "healthz":
        return None  # a load balancer's probe may name the server by any address; it reads nothing
    message = host_refusal()
    if message is None:
        return None
    if request.path.startswith("/api/"):
        body = {"error": {"code": MALFORMED_REQUEST, "message": message}}
        return current_app.response_class(
            json.dumps(body, ensure_ascii=False), 400, mimetype="application/json"
        )
    return error_page(message, 400)


def _refuse_nul() -> Any:
    """Refuse a page request with a NUL in a field (the JSON APIs refuse it their own way)."""
    if request.blueprint in ("api_v1", "public_api"):
        return None
    message = nul_refusal()
    return error_page(message, 400) if message else None


def _enforce_session() -> Any:
    """Load the logged-in user; end sessions too old, idle too long (cookie expiry), disabled, or
    ended by log-out."""
    g.user = None
    if request.blueprint == "api_v1":
        return None
    ended = load_user(
        reviews().user_by_id,
        lambda session_id, user_id: users.session_alive(get_store(), session_id, user_id),
        int(current_app.config["SESSION_MAX_HOURS"]),
    )
    if g.user is not None:
        session.modified = True  # slide the idle timeout
    return ended


def _security_headers(response: Response) -> Response:
    if request.blueprint == "api_v1":
        return response
    https = bool(int(current_app.config["HTTPS"]))
    for name, value in page_headers(bool(session.get("user_id")), https).items():
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
        **_loop_labels(),
        "lang": session.get("lang", "zh"),
    }


def _loop_labels() -> dict[str, Any]:
    """Return the labels of the 好差评 loop's pages: task stages, rated steps, answer methods,
    callback purposes, and a rate as a percentage with one decimal."""
    return {
        "task_stage_label": lambda s: gettext(TASK_STAGE_LABELS.get(s, s)),
        "rating_step_label": lambda s: gettext(RATING_STEP_LABELS.get(s, s)),
        "answer_method_label": lambda m: gettext(ANSWER_METHOD_LABELS.get(m, m)),
        "callback_purpose_label": lambda p: gettext(CALLBACK_PURPOSE_LABELS.get(p, p)),
        "percent": lambda rate: "—" if rate is None else f"{rate * 100:.1f}%",
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
        SESSION_COOKIE_SECURE=bool(int(app.config["HTTPS"])),
        WTF_CSRF_TIME_LIMIT=None,  # the session's own expiry bounds the token
    )
    app.permanent_session_lifetime = timedelta(minutes=int(app.config["SESSION_IDLE_MINUTES"]))
    app.session_interface = IdleSessionInterface()
    csrf.init_app(app)
    for blueprint in exempt:
        csrf.exempt(blueprint)
    i18n.init_app(app)
    app.before_request(_refuse_other_hosts)
    app.before_request(_refuse_nul)
    app.before_request(_enforce_session)
    app.after_request(_security_headers)
    app.after_request(add_allow_header)
    app.context_processor(_template_helpers)
    app.jinja_env.filters["mask_id"] = mask_document_number
    exports.init_app(app)
    app.jinja_env.filters["local_time"] = local_time
