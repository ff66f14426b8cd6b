"""Log-in and log-out of central users; the `login_required` guard of every other page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext

from central_api import roles, users
from central_api.web import get_store, now, page_errors, remote_addr, reviews
from staff_pages.display import LANGUAGES, translate_error
from staff_pages.navigation import local_path, to_login
from staff_pages.sessions import begin_session
from sync.errors import NotAllowed
from sync.events import format_time

bp = page_errors(Blueprint("auth", __name__, url_prefix="/auth"))


def login_required(permission: str) -> Callable[..., Any]:
    """Send anonymous visitors to the log-in page and refuse roles without the permission."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.get("user") is None:
                return to_login(next=request.full_path)
            roles.require_permission(g.user["role"], permission)
            return view(*args, **kwargs)

        return wrapped

    return decorate


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
        try:
            user = users.check_login(
                get_store(),
                request.form.get("username", ""),
                request.form.get("password", ""),
                now=now(),
                attempts=int(current_app.config["LOCKOUT_ATTEMPTS"]),
                lock_minutes=int(current_app.config["LOCKOUT_MINUTES"]),
                remote_addr=remote_addr(),
            )
        except NotAllowed as refusal:
            error = translate_error(refusal)
        else:
            begin_session(user["id"])
            # Only local paths: never bounce a fresh log-in to another site.
            target = local_path(request.args.get("next", ""), home_url(user["role"]))
            return redirect(target, code=303)
    status = 401 if error and request.method == "POST" else 200
    return render_template("central/auth/login.html", error=error), status


@bp.route("/logout", methods=("POST",))
def logout() -> Any:
    """End the session."""
    if g.get("user"):
        store = get_store()
        with store.transaction() as c:
            reviews().audit(c, format_time(now()), g.user["username"], "logout", "", remote_addr())
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/language/<lang>", methods=("POST",))
def set_language(lang: str) -> Any:
    """Switch the page language between Chinese and English."""
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(local_path(request.form.get("next", ""), url_for("auth.login")), code=303)
