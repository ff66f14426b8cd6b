"""The admin's USB page: a township's stick is imported and gets its receipts and feed back, in one
visit, through the same checks as the network (`usb_import.exchange`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, g, render_template, request

from central_api import usb_import
from central_api.auth import login_required
from central_api.web import get_store, now, page_errors, remote_addr, reviews
from staff_pages.display import translate_error
from sync import usb
from sync.errors import N_, DomainError, InvalidInput
from sync.events import format_time

log = logging.getLogger(__name__)

bp = page_errors(Blueprint("usb", __name__, url_prefix="/admin/usb"))


def _render(
    result: usb_import.StickExchange | None = None, error: str = "", status: int = 200
) -> Any:
    page = render_template(
        "central/usb/index.html",
        result=result,
        units=reviews().unit_names(),
        error=error,
        form=request.form,
    )
    return page, status


@bp.get("/")
@login_required("exchange_usb")
def index() -> Any:
    """Show the stick form."""
    return _render()


@bp.post("/")
@login_required("exchange_usb")
def exchange() -> Any:
    """Import the stick in the typed folder and write its receipts and feed back onto it."""
    store = get_store()
    try:
        folder = usb.stick_folder(request.form.get("folder", ""), must_exist=True)
        result = usb_import.exchange(
            store,
            Path(current_app.config["CENTRAL_HOME"]),
            current_app.extensions["central_key"],
            folder,
            now(),
        )
    except DomainError as refusal:
        return _render(error=translate_error(refusal), status=422)
    except OSError as error:
        log.warning("USB exchange failed: %s", type(error).__name__)
        trouble = InvalidInput(
            N_("读写 U 盘失败：%(error)s。已完成的部分有效；请插好 U 盘后再做一次。"),
            field="folder",
            error=str(error)[:200],
        )
        return _render(error=translate_error(trouble), status=422)
    with store.transaction() as c:
        reviews().audit(
            c,
            format_time(now()),
            g.user["username"],
            "usb_exchange",
            f"{folder}: {result.bundles} bundles, {result.count('accepted')} accepted",
            remote_addr(),
        )
    return _render(result=result)
