"""Exports of the township's tables: the header block from the user, and the audit entry of each
export. A page answers ``?export=xlsx`` or ``?export=csv`` with ``send_export`` on the rows it
shows; ``staff_pages.exports`` writes the table (masked for every role)."""

from __future__ import annotations

from flask import Response, g, request
from flask_babel import gettext

from staff_pages.display import local_time
from staff_pages.exports import FORMATS, ExportHeader, ExportTable, export_response
from sync.events import format_time
from township_app.db import get_store, now


def export_format() -> str | None:
    """Return the format asked for with ``?export=``, or None when the page itself is asked for."""
    fmt = request.args.get("export", "")
    return fmt if fmt in FORMATS else None


def send_export(table: ExportTable, filters: str, filename: str, fmt: str) -> Response:
    """Answer with the table as a download, recorded in the audit trail (who, what, filters, rows)."""
    store, user = get_store(), g.user
    at = format_time(now())
    header = ExportHeader(
        unit=store.org_names().get(user["org_code"], user["org_code"]),
        user=f"{user['display_name']}（{user['username']}）",
        at=local_time(at) + gettext("（北京时间）"),
        filters=filters,
    )

    def record(detail: str) -> None:
        with store.write():
            store.audit(at, user["username"], "export", detail)

    return export_response(table, header, fmt, filename, record)
