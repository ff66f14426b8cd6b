"""What every page shares: CSRF, languages, sessions that end, security headers, template helpers,
and the one place where domain errors become page messages.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    render_template,
    request,
    session,
)
from flask_babel import Babel, gettext
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from staff_pages.display import label_helpers, local_time, select_locale, translate_error
from staff_pages.input_guard import nul_refusal
from staff_pages.navigation import to_login
from staff_pages.sessions import IdleSessionInterface
from sync.case_clock import case_deadline
from sync.errors import (
    CalendarUnknown,
    Conflict,
    DomainError,
    InvalidInput,
    NotAllowed,
    NotFound,
)
from sync.ids import mask_resident_id
from sync.page_headers import page_headers
from township_app import roles
from township_app.db import get_calendar, get_store, today

log = logging.getLogger(__name__)

csrf = CSRFProtect()
babel = Babel()


def _error_page(message: str, status: int) -> tuple[str, int]:
    return render_template("error.html", message=message, status=status), status


def _domain_error(error: DomainError) -> Any:
    status = {
        NotAllowed: 403,
        NotFound: 404,
        Conflict: 409,
        CalendarUnknown: 422,
        InvalidInput: 422,
    }.get(type(error), 422)
    return _error_page(translate_error(error), status)


def _csrf_error(error: CSRFError) -> Any:
    return _error_page(gettext("页面已过期或表单来源不明，请刷新页面后重新提交。"), 400)


def _too_large(error: RequestEntityTooLarge) -> Any:
    limit = current_app.config["MAX_UPLOAD_MB"]
    return _error_page(
        gettext("上传的文件太大：每个文件不超过 %(limit)s MB。请压缩或分页扫描后再上传。")
        % {"limit": limit},
        413,
    )


def _http_error(error: HTTPException) -> Any:
    messages = {
        404: gettext("没有找到这个页面。"),
        405: gettext("不支持这种操作方式。"),
        400: gettext("请求不完整或格式不正确。"),
    }
    return _error_page(
        messages.get(error.code or 500, gettext("请求无法处理。")), error.code or 500
    )


def _refuse_nul() -> Any:
    message = nul_refusal()
    return _error_page(message, 400) if message else None


def _server_error(error: Exception) -> Any:
    # The clerk sees a plain message; the details go to the log (which holds no personal data).
    log.exception("unexpected error on %s %s", request.method, request.path)
    return _error_page(
        gettext("系统出现意外错误，本次操作没有保存。请稍后重试或联系信息化人员。"), 500
    )


def _damaged_database(error: sqlite3.DatabaseError) -> Any:
    log.error("database error on %s %s: %s", request.method, request.path, error)
    return _error_page(
        gettext("数据库文件已损坏，无法读取。请不要关机或重装，立即联系信息化人员从备份恢复。"), 503
    )


def _enforce_session() -> Any:
    """End sessions that are too old, or whose user was disabled."""
    if request.endpoint in (None, "static") or not session.get("user_id"):
        return None
    started = session.get("login_at", 0)
    max_age = timedelta(hours=current_app.config["SESSION_MAX_HOURS"]).total_seconds()
    if datetime.now(UTC).timestamp() - started > max_age:
        session.clear()
        return to_login(expired=1)
    user = get_store().user_by_id(session["user_id"])
    if user is None or not user["active"]:
        session.clear()
        return to_login()
    g.user = user
    return None


def _refuse_writes_when_read_only() -> Any:
    if current_app.config["READ_ONLY"] and request.method == "POST":
        if request.endpoint not in ("auth.login", "auth.logout"):
            return _error_page(
                gettext("数据库检查未通过，系统处于只读状态，不能保存任何更改。"), 503
            )
    return None


def _security_headers(response: Response) -> Response:
    for name, value in page_headers(bool(session.get("user_id"))).items():
        response.headers.setdefault(name, value)
    return response


def fen_to_yuan(fen: int) -> str:
    """Show integer fen as yuan with two decimals (no float arithmetic)."""
    return f"{fen // 100}.{fen % 100:02d}"


def _template_helpers() -> dict[str, Any]:
    user = g.get("user")
    try:
        store = get_store()
        device = store.device()
        center = current_app.config["CENTER_NAME"] or _center_name(store, device)
    except sqlite3.DatabaseError:
        # A damaged file must still let the error page and the read-only banner render.
        device, center = None, gettext("便民服务中心")
    return {
        "current_user": user,
        "may": (lambda permission: bool(user) and roles.may(user["role"], permission)),
        "role_label": lambda role: gettext(roles.ROLE_LABELS.get(role, role)),
        **label_helpers(),
        "deadline": lambda state: case_deadline(state, today(), get_calendar()),
        "sync_status": _sync_status(),
        "status_poll_seconds": int(current_app.config["STATUS_POLL_SECONDS"]),
        "device": device,
        "center_name": center,
        "store_problem": current_app.config["STORE_PROBLEM"],
        "upgrade_problem": current_app.config.get("UPGRADE_PROBLEM", ""),
        "lang": session.get("lang", "zh"),
        "today": today(),
    }


def _sync_status() -> dict[str, Any]:
    # One query on every page and every refresh of the header; the plain queue count is read only
    # when that fails (a damaged or not yet migrated file, in read-only mode).
    try:
        return get_store().sync.header_status()
    except sqlite3.DatabaseError:
        try:
            waiting = get_store().outbox_waiting()
        except sqlite3.DatabaseError:
            waiting = 0
        return {"online": False, "waiting": waiting, "last_sync": None, "problems": 0, "refused": 0}


def _center_name(store: Any, device: dict[str, Any] | None) -> str:
    unit = store.org_unit(device["org_code"]) if device else None
    if unit is None:
        return gettext("便民服务中心")
    suffix = gettext("便民服务站") if unit["level"] == "village" else gettext("便民服务中心")
    return unit["name"] + suffix


def init_app(app: Flask) -> None:
    """Wire CSRF, Babel, sessions, headers, error pages and template helpers into the app."""
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.permanent_session_lifetime = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    app.session_interface = IdleSessionInterface()
    app.before_request(_refuse_nul)
    app.before_request(_refuse_writes_when_read_only)
    app.before_request(_enforce_session)
    app.after_request(_security_headers)
    app.context_processor(_template_helpers)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(sqlite3.DatabaseError, _damaged_database)
    app.register_error_handler(Exception, _server_error)
    app.jinja_env.filters["mask_id"] = mask_resident_id
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["yuan"] = fen_to_yuan
