"""What every page shares: CSRF, languages, sessions that end, security headers, template helpers,
and the one place where domain errors become page messages.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    request,
    session,
)
from flask_babel import Babel, gettext
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from staff_pages import exports
from staff_pages.display import label_helpers, local_time, select_locale
from staff_pages.error_pages import ErrorPages
from staff_pages.host_check import host_refusal
from staff_pages.input_guard import nul_refusal
from staff_pages.page_headers import add_allow_header, page_headers
from staff_pages.sessions import IdleSessionInterface, load_user
from sync.case_clock import case_deadline
from sync.identity_documents import mask_document_number
from township_app import roles
from township_app.db import get_calendar, get_store, today
from township_app.stores.login_store import LoginStore

log = logging.getLogger(__name__)

csrf = CSRFProtect()
babel = Babel()


pages = ErrorPages("error.html")


def _error_page(message: str, status: int) -> Response:
    return pages.page(message, status)


def _too_large(error: RequestEntityTooLarge) -> Any:
    limit = current_app.config["MAX_UPLOAD_MB"]
    return _error_page(
        gettext("上传的文件太大：每个文件不超过 %(limit)s MB。请压缩或分页扫描后再上传。")
        % {"limit": limit},
        413,
    )


def _refuse_other_hosts() -> Any:
    message = host_refusal()
    return _error_page(message, 400) if message else None


def _refuse_nul() -> Any:
    message = nul_refusal()
    return _error_page(message, 400) if message else None


def _damaged_database(error: sqlite3.DatabaseError) -> Any:
    log.error("database error on %s %s: %s", request.method, request.path, error)
    if current_app.config.get("UPGRADE_PROBLEM"):
        # The file is sound: it is the previous version's, put back after a failed upgrade, and
        # this page needs what the upgrade would have added.
        return _error_page(
            gettext(
                "这个页面需要升级后的数据库，但本次升级数据库失败，已自动恢复为升级前的数据库，"
                "办件数据未受影响。请装回上一个版本继续工作，并把页面顶部的提示发给信息化人员。"
            ),
            503,
        )
    return _error_page(
        gettext("数据库文件已损坏，无法读取。请不要关机或重装，立即联系信息化人员从备份恢复。"), 503
    )


def _enforce_session() -> Any:
    """End sessions that are too old, whose user was disabled, or that log-out or a password
    change ended."""
    return load_user(
        get_store().user_by_id, _session_alive, int(current_app.config["SESSION_MAX_HOURS"])
    )


def _session_alive(session_id: str, user_id: int) -> bool:
    # A damaged database (read-only mode) records no session: the signed cookie alone must do.
    if current_app.config["READ_ONLY"]:
        return True
    return LoginStore(get_store()).session_alive(session_id, user_id)


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
        status = get_store().sync.header_status()
        if current_app.config.get("CENTRAL_URL"):
            status["by_file"] = False  # a server named in the settings: it syncs over the network
        return status
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
    app.before_request(_refuse_other_hosts)
    app.before_request(_refuse_nul)
    app.before_request(_refuse_writes_when_read_only)
    app.before_request(_enforce_session)
    app.after_request(_security_headers)
    app.after_request(add_allow_header)
    app.context_processor(_template_helpers)
    for error, handler in pages.handlers().items():
        app.register_error_handler(error, handler)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(sqlite3.DatabaseError, _damaged_database)
    app.jinja_env.filters["mask_id"] = mask_document_number
    exports.init_app(app)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["yuan"] = fen_to_yuan
