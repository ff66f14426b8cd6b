"""The hall's windows (窗口与部门): which window number and department each staff member serves
at (admin), and how the other windows reach the hall server."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext

from staff_pages.display import translate_error
from staff_pages.htmx import render_page
from sync.errors import InvalidInput
from township_app import staff_windows
from township_app.db import get_store, now
from township_app.pages.auth import login_required

bp = Blueprint("windows", __name__, url_prefix="/admin/windows")


def _page(error: str = "", status: int = 200, failed_user: int | None = None) -> Any:
    from pathlib import Path

    from township_app.hall.certificate import cert_path, fingerprint

    home = Path(str(current_app.config["HOME"]))
    return render_page(
        "township/admin/windows.html",
        "township/admin/windows.html",
        status=status,
        staff=get_store().staff_windows(),
        error=error,
        failed_user=failed_user,
        form=request.form,
        hall_fingerprint=fingerprint(home) if cert_path(home).exists() else "",
        hall_url=str(current_app.config.get("HALL_URL", "")),
    )


@bp.route("/")
@login_required("admin")
def index() -> Any:
    """Show every staff member's window and department, with a form to change each."""
    return _page()


@bp.route("/<int(max=2147483647):user_id>", methods=("POST",))
@login_required("admin")
def update(user_id: int) -> Any:
    """Set the window number and department of one staff member."""
    try:
        staff_windows.set_window(
            get_store(),
            user_id,
            request.form.get("window_number", ""),
            request.form.get("department", ""),
            g.user["username"],
            now(),
        )
    except InvalidInput as invalid:
        return _page(translate_error(invalid), 422, failed_user=user_id)
    flash(gettext("窗口与部门已保存。"), "success")
    return redirect(url_for("windows.index"), code=303)
