"""The store, calendar and clock of the current request (flaskr's get_db pattern)."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask, current_app, g

from sync.deadlines import WorkingCalendar
from sync.events import CHINA_TZ, utc_now
from township_app.store import Store

log = logging.getLogger(__name__)


def get_store() -> Store:
    """Return the request's store, opening it on first use."""
    if "store" not in g:
        g.store = Store.open(
            current_app.config["DATABASE"], read_only=current_app.config["READ_ONLY"]
        )
    return g.store


def close_store(exc: BaseException | None = None) -> None:
    """Close the request's store, if it was opened."""
    store = g.pop("store", None)
    if store is not None:
        store.close()


def get_calendar() -> WorkingCalendar:
    """Return the working-day calendar: the package's years plus those installed from central."""
    if "calendar" not in g:
        g.calendar = WorkingCalendar(get_store().calendar_years())
    return g.calendar


def now() -> datetime:
    """Return the current moment (UTC), or noon of the configured pretend day."""
    pretend = current_app.config.get("TODAY")
    if pretend:
        day = date.fromisoformat(str(pretend))
        moment = datetime.combine(day, utc_now().astimezone(CHINA_TZ).time(), CHINA_TZ)
        return moment.astimezone(UTC)
    return utc_now()


def today() -> date:
    """Return today's date in China."""
    return now().astimezone(CHINA_TZ).date()


def init_app(app: Flask) -> None:
    """Migrate and check the database once at start, and close stores after each request."""
    app.config.setdefault("READ_ONLY", False)
    app.config["STORE_PROBLEM"] = ""
    verdict = _check_and_migrate(app.config["DATABASE"])
    if verdict != "ok":
        # Keep serving what can be read, but let no write make the damage worse.
        log.error("database failed its integrity check; opening read-only")
        app.config["READ_ONLY"] = True
        app.config["STORE_PROBLEM"] = verdict
    app.teardown_appcontext(close_store)


def _check_and_migrate(path: str) -> str:
    # Check before migrating: a migration must never run on a damaged file.
    try:
        if Path(path).exists():
            store = Store.open(path, read_only=True)
            try:
                verdict = store.quick_check()
            finally:
                store.close()
            if verdict != "ok":
                return verdict
        Store.open(path).close()
    except sqlite3.DatabaseError as error:
        return str(error)
    return "ok"
