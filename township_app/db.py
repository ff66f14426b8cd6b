"""The store, calendar and clock of the current request (flaskr's get_db pattern)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from sync.deadlines import WorkingCalendar
from sync.events import CHINA_TZ, utc_now
from township_app.stores.store import Store

log = logging.getLogger(__name__)

# How long start waits for the integrity check before serving pages while it finishes (seconds):
# enough to check a database of a few thousand cases before the first page, as before; a big one
# (100,000 cases are 0.5 GB, ~6 s to read from a cold disk) no longer holds the window closed.
CHECK_WAIT_AT_START_S = 0.25
# How long a write waits for a check still running before it is refused with "try again".
CHECK_WAIT_FOR_WRITE_S = 10.0


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
    """Return the pages' working-day calendar: the package's years, those installed from central,
    and a provisional (暂定) one for a year neither knows."""
    if "calendar" not in g:
        g.calendar = WorkingCalendar(get_store().calendar_years(), provisional=True)
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
    """Check (then migrate) the database at start, and close stores after each request."""
    app.config.setdefault("READ_ONLY", False)
    app.config["STORE_PROBLEM"] = ""
    app.config["UPGRADE_PROBLEM"] = ""
    checked = threading.Event()
    app.extensions["bianmin_store_checked"] = checked
    path = app.config["DATABASE"]
    if _needs_migration(path):
        # A migration must never run on a damaged file: check first, however long it takes (once,
        # after an upgrade), then migrate.
        _record_verdict(app, _quick_check(path))
        if not app.config["READ_ONLY"]:
            _record_verdict(app, _migrate(app, path))
        checked.set()
    else:
        # PRAGMA quick_check reads every page of the file. Reading is harmless while it runs, so
        # pages are served at once; every write waits for its verdict (see _hold_writes), so
        # nothing is written to a file before it has passed, and a failure still turns the app
        # read-only with its banner, as a check before the first page would have.
        def run_check() -> None:
            _record_verdict(app, _quick_check(path))
            checked.set()

        threading.Thread(target=run_check, name="quick_check", daemon=True).start()
        checked.wait(CHECK_WAIT_AT_START_S)
    app.before_request(_hold_writes)
    app.teardown_appcontext(close_store)


def wait_until_checked(app: Flask, timeout: float | None = None) -> bool:
    """Wait for the start's integrity check and return whether it has finished (passed or not)."""
    return app.extensions["bianmin_store_checked"].wait(timeout)


def _hold_writes() -> ResponseReturnValue | None:
    # Runs before web.py's read-only refusal, which then sees the check's verdict.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if request.method != "POST" or wait_until_checked(app, CHECK_WAIT_FOR_WRITE_S):
        return None
    message = gettext("正在检查数据库完整性，暂时不能保存。请稍等片刻再提交。")
    page = render_template("error.html", message=message, status=503)
    return page, 503, {"Retry-After": "10"}


def _record_verdict(app: Flask, verdict: str) -> None:
    if verdict != "ok":
        # Keep serving what can be read, but let no write make the damage worse.
        log.error("database failed its integrity check; opening read-only")
        app.config["STORE_PROBLEM"] = verdict
        app.config["READ_ONLY"] = True


def _needs_migration(path: str) -> bool:
    # A new file is created by the migration; a file that cannot even be read is checked first.
    if not Path(path).exists():
        return True
    try:
        store = Store.open(path, read_only=True)
        try:
            return bool(store.pending_migrations())
        finally:
            store.close()
    except sqlite3.DatabaseError:
        return True


def _quick_check(path: str) -> str:
    if not Path(path).exists():
        return "ok"
    try:
        store = Store.open(path, read_only=True)
        try:
            return store.quick_check()
        finally:
            store.close()
    except sqlite3.DatabaseError as error:
        return str(error)


def _migrate(app: Flask, path: str) -> str:
    from township_app.backup.upgrade import UpgradeFailed, open_migrated

    try:
        open_migrated(path).close()
    except sqlite3.DatabaseError as error:
        return str(error)
    except UpgradeFailed as failed:
        # The database is back as the old version left it: read-only, and the page says why.
        app.config["UPGRADE_PROBLEM"] = str(failed)
        app.config["READ_ONLY"] = True
    return "ok"
