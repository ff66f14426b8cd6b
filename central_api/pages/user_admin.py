"""The admin's users page: list central users, create one, unlock a locked one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from central_api import roles, users
from central_api.pages.auth import login_required
from central_api.web import get_store, now, page_errors, remote_addr, reviews
from staff_pages.display import translate_error
from staff_pages.version import app_version
from sync.errors import DomainError, InvalidInput

bp = page_errors(Blueprint("users", __name__, url_prefix="/admin/users"))


def _render(error: str = "", form: Any = None, status: int = 200) -> Any:
    store = reviews()
    return (
        render_template(
            "central/users/index.html",
            users=store.users(),
            units=store.unit_names(),
            roles=roles.ROLES,
            audit=store.audit_entries(30),
            error=error,
            form=form or {},
            today=now(),
            app_version=app_version(),
        ),
        status,
    )


@bp.get("/")
@login_required("manage_users")
def index() -> Any:
    """List central users with their lock state, and the newest audit entries."""
    return _render()


@bp.post("/")
@login_required("manage_users")
def create() -> Any:
    """Create a central user."""
    form = request.form
    try:
        users.create_user(
            get_store(),
            username=form.get("username", "").strip(),
            display_name=form.get("display_name", "").strip(),
            role=form.get("role", ""),
            org_code=form.get("org_code", "").strip(),
            password=form.get("password", ""),
            now=now(),
            by=g.user["username"],
            remote_addr=remote_addr(),
            department=form.get("department", ""),
        )
    except DomainError as refusal:
        status = 422 if isinstance(refusal, InvalidInput) else 409
        safe = {k: v for k, v in form.items() if k != "password"}
        return _render(translate_error(refusal), safe, status)
    flash(gettext("用户已创建。"), "success")
    return redirect(url_for("users.index"), code=303)


@bp.post("/<username>/unlock")
@login_required("manage_users")
def unlock(username: str) -> Any:
    """Unlock a user locked by failed log-ins."""
    users.unlock_user(
        get_store(), username, by=g.user["username"], now=now(), remote_addr=remote_addr()
    )
    flash(gettext("已解锁用户 %(name)s。", name=username), "success")
    return redirect(url_for("users.index"), code=303)
