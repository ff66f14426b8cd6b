"""Log-in, log-out and password change; the `login_required` guard for every other page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext

from staff_pages import permissions
from staff_pages.display import translate_error
from staff_pages.htmx import render_page
from staff_pages.lockout import LockoutRules
from staff_pages.navigation import local_path
from staff_pages.sessions import begin_session, current_session_id, new_session_id
from sync.errors import NotAllowed
from township_app import accounts, roles
from township_app.casework.casework import Actor
from township_app.db import get_store, now

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _slide_idle_timeout() -> None:
    session.modified = True


_login_required = permissions.guard(roles.require_permission, on_pass=_slide_idle_timeout)


def login_required(permission: str = "view_cases") -> Callable[..., Any]:
    """Send anonymous visitors to the log-in page and refuse roles without the permission."""
    return _login_required(permission)


def current_actor() -> Actor:
    """Return the logged-in user as the actor of domain functions."""
    return Actor(username=g.user["username"], role=g.user["role"], org_code=g.user["org_code"])


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    """Log a member of staff in, locking the account after repeated failures."""
    error = ""
    if request.args.get("expired"):
        error = gettext("登录已超时，请重新登录。")
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        session_id = new_session_id()
        try:
            user = accounts.check_login(
                get_store(),
                username,
                password,
                now=now(),
                rules=LockoutRules.from_settings(current_app.config),
                remote_addr=request.remote_addr or "",
                session_id=session_id,
                session_hours=int(current_app.config["SESSION_MAX_HOURS"]),
                read_only=current_app.config["READ_ONLY"],
            )
        except NotAllowed as refusal:
            error = translate_error(refusal)
        else:
            begin_session(user["id"], session_id)
            # Only local paths: never bounce a fresh log-in to another site.
            target = local_path(request.args.get("next", ""), url_for("index"))
            return redirect(target, code=303)
    return render_page(
        "township/auth/login.html",
        "township/auth/login.html",
        error=error,
        status=401 if error and request.method == "POST" else 200,
    )


@bp.route("/logout", methods=("POST",))
def logout() -> Any:
    """End the session."""
    if g.get("user") and not current_app.config["READ_ONLY"]:
        accounts.log_out(get_store(), g.user, current_session_id(), now=now())
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/password", methods=("GET", "POST"))
@login_required()
def change_password() -> Any:
    """Let the logged-in user change their own password."""
    error = ""
    if request.method == "POST":
        try:
            accounts.change_password(
                get_store(),
                g.user,
                request.form.get("current", ""),
                request.form.get("new", ""),
                request.form.get("repeat", ""),
                now=now(),
                session_id=current_session_id(),
            )
        except NotAllowed as refusal:
            error = translate_error(refusal)
        else:
            flash(gettext("密码已修改。"), "success")
            return redirect(url_for("index"), code=303)
    return render_page(
        "township/auth/password.html",
        "township/auth/password.html",
        error=error,
        status=422 if error else 200,
    )


@bp.route("/language/<lang>", methods=("POST",))
def set_language(lang: str) -> Any:
    """Switch the page language between Chinese and English."""
    if lang in ("zh", "en"):
        session["lang"] = lang
    return redirect(local_path(request.form.get("next", ""), url_for("index")), code=303)
