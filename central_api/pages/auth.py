"""Log-in and log-out of central users; the `login_required` guard of every other page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext

from central_api import roles, users
from central_api.web import get_store, now, page_errors, remote_addr
from staff_pages import permissions
from staff_pages.display import LANGUAGES, translate_error
from staff_pages.lockout import LockoutRules
from staff_pages.navigation import local_path
from staff_pages.sessions import begin_session, current_session_id, new_session_id
from sync.errors import NotAllowed

bp = page_errors(Blueprint("auth", __name__, url_prefix="/auth"))


login_required = permissions.guard(roles.require_permission)
"""Send anonymous visitors to the log-in page and refuse roles without the permission."""


def home_url(role: str) -> str:
    """Return the page a role starts on."""
    return url_for(roles.HOME.get(role, "auth.login"))


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    """Log a central user in, locking the account after repeated failures."""
    error = ""
    if request.args.get("expired"):
        error = gettext("登录已超时，请重新登录。")
    if request.method == "POST":
        session_id = new_session_id()
        try:
            user = users.check_login(
                get_store(),
                request.form.get("username", ""),
                request.form.get("password", ""),
                now=now(),
                rules=LockoutRules.from_settings(current_app.config),
                remote_addr=remote_addr(),
                session_id=session_id,
                session_hours=int(current_app.config["SESSION_MAX_HOURS"]),
            )
        except NotAllowed as refusal:
            error = translate_error(refusal)
        else:
            begin_session(user["id"], session_id)
            # Only local paths: never bounce a fresh log-in to another site.
            target = local_path(request.args.get("next", ""), home_url(user["role"]))
            return redirect(target, code=303)
    status = 401 if error and request.method == "POST" else 200
    return render_template("central/auth/login.html", error=error), status


@bp.route("/logout", methods=("POST",))
def logout() -> Any:
    """End the session."""
    if g.get("user"):
        users.log_out(
            get_store(), g.user, current_session_id(), now=now(), remote_addr=remote_addr()
        )
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/language/<lang>", methods=("POST",))
def set_language(lang: str) -> Any:
    """Switch the page language between Chinese and English."""
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(local_path(request.form.get("next", ""), url_for("auth.login")), code=303)
