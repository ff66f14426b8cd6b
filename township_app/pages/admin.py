"""Administration for IT staff: accounts, this PC's identity, the outbox and the audit trail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from staff_pages.display import translate_error
from staff_pages.htmx import render_page
from staff_pages.version import app_version
from sync.errors import InvalidInput
from township_app import accounts, roles
from township_app.backup.backup import backup_folder
from township_app.db import get_store, now
from township_app.pages.admin_backup import (
    backup_message,
    latest_backup,
    recent_backups,
    start_backup,
)
from township_app.pages.auth import login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
OUTBOX_SHOWN = 200  # the oldest waiting cases listed on the page; the count says how many in all


def _page(error: str = "", status: int = 200) -> Any:
    store = get_store()
    device = store.device()
    return render_page(
        "township/admin/index.html",
        "township/admin/index.html",
        status=status,
        users=store.users(),
        roles=roles.ROLES,
        units=[store.org_unit(device["org_code"])] + store.child_units(device["org_code"])
        if device
        else [],
        outbox=store.outbox_waiting_rows(OUTBOX_SHOWN),
        outbox_waiting=store.outbox_waiting(),
        audit=store.audit_entries(),
        catalogue=store.catalogue_version(),
        app_version=app_version(),
        calendar_years=store.calendar_years(),
        event_count=store.event_count(),
        backups=recent_backups(backup_folder(current_app.config)),
        **_backup_context(),
        error=error,
        form=request.form,
    )


@bp.route("/")
@login_required("admin")
def index() -> Any:
    """Show accounts, device, outbox, calendar and audit trail."""
    return _page()


@bp.route("/users", methods=("POST",))
@login_required("admin")
def create_user() -> Any:
    """Create a staff account."""
    form = request.form
    try:
        accounts.create_user(
            get_store(),
            username=form.get("username", ""),
            display_name=form.get("display_name", ""),
            role=form.get("role", ""),
            org_code=form.get("org_code", ""),
            password=form.get("password", ""),
            now=now(),
        )
    except InvalidInput as invalid:
        return _page(translate_error(invalid), 422)
    flash(gettext("账号已创建。"), "success")
    return redirect(url_for("admin.index"), code=303)


@bp.route("/users/<int(max=2147483647):user_id>/unlock", methods=("POST",))
@login_required("admin")
def unlock(user_id: int) -> Any:
    """Unlock an account locked by failed log-ins."""
    accounts.unlock_user(get_store(), user_id, g.user["username"], now())
    flash(gettext("账号已解锁。"), "success")
    return redirect(url_for("admin.index"), code=303)


@bp.route("/users/<int(max=2147483647):user_id>/active", methods=("POST",))
@login_required("admin")
def set_active(user_id: int) -> Any:
    """Disable or re-enable an account (its open sessions end at once)."""
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(get_store(), user_id, active, g.user["username"], now())
    except InvalidInput as invalid:
        return _page(translate_error(invalid), 422)
    flash(gettext("账号状态已更新。"), "success")
    return redirect(url_for("admin.index"), code=303)


@bp.route("/backup", methods=("POST",))
@login_required("admin")
def backup() -> Any:
    """Start writing a backup of this PC's data into a chosen folder (a USB stick)."""
    form = request.form
    try:
        start_backup(
            folder=form.get("folder", ""),
            passphrase=form.get("passphrase", ""),
            confirmation=form.get("passphrase2", ""),
            username=g.user["username"],
            now=now(),
        )
    except InvalidInput as invalid:
        return _page(translate_error(invalid), 422)
    return redirect(url_for("admin.index") + "#backup", code=303)


@bp.route("/backup/progress")
@login_required("admin")
def backup_progress() -> Any:
    """Show how far the backup started from this page has got (htmx asks every second)."""
    return render_template("township/admin/_backup_progress.html", **_backup_context())


def _backup_context() -> dict[str, Any]:
    job = latest_backup()  # a copy: the thread may end the backup while the page is rendered
    return {
        "backup_job": job,
        "backup_message": backup_message(job) if job is not None and not job.running else "",
    }
