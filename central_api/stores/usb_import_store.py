"""SQL of the USB imports started from the admin's page: one row per import, moved along by the
thread that runs it and read by whichever worker answers the page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from central_api.stores import schema as t

_U = t.usb_imports.c


def add_import(c: Connection, values: dict[str, Any]) -> int:
    """Record an import that is starting; return its id."""
    result = c.execute(insert(t.usb_imports).values(**values))
    return int(result.inserted_primary_key[0])


def running_import(c: Connection, folder: str, beat_after: int) -> dict[str, Any] | None:
    """Return the import of this folder still at work (its heartbeat after ``beat_after``)."""
    row = (
        c.execute(
            select(t.usb_imports)
            .where(_U.folder == folder, _U.state == "running", _U.heartbeat > beat_after)
            .order_by(_U.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def update_import(c: Connection, import_id: int, **values: Any) -> None:
    """Move an import along: its step and progress, its heartbeat, its end."""
    c.execute(update(t.usb_imports).where(_U.id == import_id).values(**values))


def beat(c: Connection, import_id: int, heartbeat: int) -> None:
    """Touch a running import's heartbeat (its worker is still at it)."""
    c.execute(
        update(t.usb_imports)
        .where(_U.id == import_id, _U.state == "running")
        .values(heartbeat=heartbeat)
    )


def usb_import(c: Connection, import_id: int) -> dict[str, Any] | None:
    """Return one import."""
    row = c.execute(select(t.usb_imports).where(_U.id == import_id)).mappings().first()
    return dict(row) if row else None


def recent_imports(c: Connection, limit: int) -> list[dict[str, Any]]:
    """Return the latest imports, newest first, without their (possibly long) outcome."""
    columns = [column for column in t.usb_imports.c if column.name != "outcome"]
    query = select(*columns).order_by(_U.id.desc()).limit(limit)
    return [dict(row) for row in c.execute(query).mappings()]
