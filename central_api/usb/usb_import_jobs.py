"""A USB import started from the admin's page: begun in the request, run on a thread of its own,
followed by the page through the database.

Central's workers keep no state (several may serve behind gunicorn), so the page's poll may reach
another worker than the one importing: the progress lives in a row of ``usb_imports``. The thread
beats that row at each step; a row still "running" whose heartbeat stopped tells that its worker
went away mid-import (a restart, a crash). Nothing is lost then: everything imported so far is
stored with its receipt on the stick, and importing again takes up the rest.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from central_api.stores import usb_import_store as sql
from central_api.stores.review_store import ReviewStore
from central_api.stores.store import CentralStore
from central_api.usb import usb_import
from sync.deadlines import Wording
from sync.errors import N_, DomainError
from sync.events import format_time

log = logging.getLogger(__name__)

RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"
READING = "reading"  # the step before the first report: the stick's folders are being listed
HEARTBEAT_S = 2  # a running import's row is touched this often, whatever step it is in
STALE_AFTER_S = 15  # no heartbeat for this long: the worker that ran the import is gone
PROGRESS_EVERY_S = 0.5  # progress is written at most this often (and at each change of step)


@dataclass(frozen=True)
class UsbImport:
    """One import, as the page shows it."""

    id: int
    folder: str
    started_by: str
    started_at: str
    state: str  # running | done | failed | interrupted
    step: str  # reading | blobs | bundles | feed
    done: int
    total: int
    outcome: usb_import.StickExchange | None  # when done
    failure: Wording | None  # when failed

    @property
    def running(self) -> bool:
        """Tell whether the import is still at work."""
        return self.state == RUNNING

    @property
    def percent(self) -> int:
        """Return how much of the stick's files are done, in whole per cent."""
        return 100 * self.done // self.total if self.total else 0


def begin(store: CentralStore, folder: Path, username: str, now: datetime) -> tuple[int, bool]:
    """Record an import of a stick about to start: (its id, True); or, if that stick is being
    imported already (a second click, another admin), (that import's id, False)."""
    beat = int(now.timestamp())
    with store.transaction() as c:
        running = sql.running_import(c, str(folder), beat - STALE_AFTER_S)
        if running is not None:
            return int(running["id"]), False
        import_id = sql.add_import(
            c,
            {
                "folder": str(folder),
                "started_by": username[:32],
                "started_at": format_time(now),
                "heartbeat": beat,
                "state": RUNNING,
                "step": READING,
                "done": 0,
                "total": 0,
                "outcome": "",
                "error": "",
            },
        )
    return import_id, True


def run(
    store: CentralStore,
    home: Path,
    central_key: Any,
    import_id: int,
    clock: Callable[[], datetime],
    remote_addr: str,
) -> None:
    """Import the stick of a begun import and record how it ended (done, or failed and why).

    Never raises: it is a thread's whole work. If even the end cannot be written, the heartbeat
    stops with the thread and the page tells that the import was cut off."""
    with store.reading() as c:
        row = sql.usb_import(c, import_id)
    assert row is not None, import_id
    folder = Path(row["folder"])
    # The heartbeat has a thread of its own: one step (a large scan read from a slow stick, a
    # batch waiting for the database) may take longer than the page waits before it gives up.
    ended = threading.Event()
    beating = threading.Thread(
        target=_beat_until,
        args=(store, import_id, clock, ended),
        name=f"usb-import-{import_id}-beat",
    )
    beating.start()
    try:
        outcome = usb_import.exchange(
            store, home, central_key, folder, clock(), _Beats(store, import_id, clock)
        )
    except DomainError as refusal:
        _fail(store, import_id, clock(), Wording.of(refusal))
    except OSError as error:
        log.warning("USB import %s failed: %s", import_id, type(error).__name__)
        wording = Wording(
            N_("读写 U 盘失败：%(error)s。已完成的部分有效；请插好 U 盘后再做一次。"),
            {"error": str(error)[:200]},
        )
        _fail(store, import_id, clock(), wording)
    except Exception:
        log.exception("USB import %s stopped", import_id)
        wording = Wording(
            N_("导入时出现意外错误。已完成的部分有效，可以再导入一次；若仍出错，请联系技术支持。")
        )
        _fail(store, import_id, clock(), wording)
    else:
        try:
            _finish(store, import_id, clock(), outcome, row, remote_addr)
        except Exception:  # the database went away: the heartbeat stops, the page says cut off
            log.exception("USB import %s: its end could not be recorded", import_id)
    finally:
        ended.set()
        beating.join()


def _beat_until(
    store: CentralStore, import_id: int, clock: Callable[[], datetime], ended: threading.Event
) -> None:
    while not ended.wait(HEARTBEAT_S):
        try:
            with store.light_transaction() as c:
                sql.beat(c, import_id, int(clock().timestamp()))
        except Exception:  # a busy or lost database: the next beat tries again
            log.warning("USB import %s: heartbeat not written", import_id, exc_info=True)


def _finish(
    store: CentralStore,
    import_id: int,
    at: datetime,
    outcome: usb_import.StickExchange,
    row: dict[str, Any],
    remote_addr: str,
) -> None:
    with store.transaction() as c:
        sql.update_import(
            c, import_id, state=DONE, heartbeat=int(at.timestamp()), outcome=outcome.to_json()
        )
        ReviewStore(store).audit(
            c,
            format_time(at),
            row["started_by"],
            "usb_exchange",
            f"{row['folder']}: {outcome.bundles} bundles, {outcome.accepted} accepted",
            remote_addr,
        )


def _fail(store: CentralStore, import_id: int, at: datetime, wording: Wording) -> None:
    kept = json.dumps(
        {"template": wording.template, "params": dict(wording.params)},
        ensure_ascii=False,
        default=str,
    )
    try:
        with store.transaction() as c:
            sql.update_import(c, import_id, state=FAILED, heartbeat=int(at.timestamp()), error=kept)
    except Exception:  # the database went away: the heartbeat stops, the page says cut off
        log.exception("USB import %s: its failure could not be recorded", import_id)


class _Beats:
    """The import's progress callback: writes the step and counts, at most every PROGRESS_EVERY_S."""

    def __init__(self, store: CentralStore, import_id: int, clock: Callable[[], datetime]) -> None:
        self.store, self.import_id, self.clock = store, import_id, clock
        self.step, self.written = READING, 0.0

    def __call__(self, step: str, done: int, total: int) -> None:
        moment = time.monotonic()
        if step == self.step and done < total and moment - self.written < PROGRESS_EVERY_S:
            return
        self.step, self.written = step, moment
        with self.store.light_transaction() as c:
            sql.update_import(
                c,
                self.import_id,
                step=step,
                done=done,
                total=total,
                heartbeat=int(self.clock().timestamp()),
            )


def seen(store: CentralStore, import_id: int, now: datetime) -> UsbImport | None:
    """Return an import as it stands, or None if there is no such import."""
    with store.reading() as c:
        row = sql.usb_import(c, import_id)
    return _view(row, now) if row else None


def recent(store: CentralStore, now: datetime, limit: int = 5) -> list[UsbImport]:
    """Return the latest imports, newest first (without what they did)."""
    with store.reading() as c:
        return [_view({**row, "outcome": ""}, now) for row in sql.recent_imports(c, limit)]


def _view(row: dict[str, Any], now: datetime) -> UsbImport:
    state = row["state"]
    if state == RUNNING and row["heartbeat"] <= int(now.timestamp()) - STALE_AFTER_S:
        state = INTERRUPTED
    failure = None
    if row["error"]:
        kept = json.loads(row["error"])
        failure = Wording(kept["template"], kept["params"])
    return UsbImport(
        id=int(row["id"]),
        folder=row["folder"],
        started_by=row["started_by"],
        started_at=row["started_at"],
        state=state,
        step=row["step"],
        done=int(row["done"]),
        total=int(row["total"]),
        outcome=usb_import.StickExchange.from_json(row["outcome"]) if row["outcome"] else None,
        failure=failure,
    )
