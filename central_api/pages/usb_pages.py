"""The admin's USB page at central: a township's stick is imported and gets its receipts and feed
back, through the same checks as the network (`usb_import.exchange`).

The import runs on a thread of its own (`usb_import_jobs`): a stick from a township that was
offline for weeks may hold thousands of bundles and their scans, more than one request should wait
for. The page follows it through the database, so any worker can answer.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from central_api.pages.auth import login_required
from central_api.usb import usb_import_jobs
from central_api.web import get_store, now, page_errors, remote_addr, reviews
from staff_pages.display import translate_error
from sync import usb
from sync.errors import DomainError
from sync.events import utc_now

bp = page_errors(Blueprint("usb", __name__, url_prefix="/admin/usb"))


def _form(error: str = "", status: int = 200) -> Any:
    page = render_template(
        "central/usb/index.html",
        error=error,
        form=request.form,
        imports=usb_import_jobs.recent(get_store(), now()),
    )
    return page, status


@bp.get("/")
@login_required("exchange_usb")
def index() -> Any:
    """Show the stick form and the latest imports."""
    return _form()


@bp.post("/")
@login_required("exchange_usb")
def exchange() -> Any:
    """Start importing the stick in the typed folder; the page then follows the import."""
    try:
        folder = usb.stick_folder(request.form.get("folder", ""), must_exist=True)
    except DomainError as refusal:
        return _form(error=translate_error(refusal), status=422)
    store = get_store()
    import_id, new = usb_import_jobs.begin(store, folder, g.user["username"], now())
    if new:
        threading.Thread(
            target=usb_import_jobs.run,
            args=(
                store,
                Path(current_app.config["CENTRAL_HOME"]),
                current_app.extensions["central_key"],
                import_id,
                utc_now,
                remote_addr(),
            ),
            name=f"usb-import-{import_id}",
            daemon=True,
        ).start()
    return redirect(url_for("usb.progress_page", import_id=import_id), 303)


def _seen(import_id: int) -> usb_import_jobs.UsbImport:
    seen = usb_import_jobs.seen(get_store(), import_id, now())
    if seen is None:
        abort(404)
    return seen


@bp.get("/imports/<int(max=2147483647):import_id>")
@login_required("exchange_usb")
def progress_page(import_id: int) -> Any:
    """Show an import: its progress while it runs, what it did when it has ended."""
    return _import_box("central/usb/import.html", import_id)


@bp.get("/imports/<int(max=2147483647):import_id>/progress")
@login_required("exchange_usb")
def progress(import_id: int) -> Any:
    """Answer the page's poll with the import's box as it stands."""
    return _import_box("central/usb/_import.html", import_id)


def _import_box(template: str, import_id: int) -> Any:
    job = _seen(import_id)
    # Unit names are shown only with the result: the poll of a running import (every second)
    # reads nothing but the import's row.
    units = reviews().unit_names() if job.outcome is not None else {}
    return render_template(template, job=job, units=units)
