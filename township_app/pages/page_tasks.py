"""Long work started from a page runs on a thread of its own, so that the page can show how far it
has got instead of hanging on one request until it ends: a backup to a USB stick (a database of
100,000 cases and its scans take minutes), an export of bundles and scans to a stick. One task of
a kind at a time per app; the latest of each kind stays for the page to show."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask import current_app

from sync.errors import DomainError, InvalidInput
from sync.events import format_time

log = logging.getLogger(__name__)

STARTING, WORKING, DONE, FAILED = "starting", "working", "done", "failed"
Progress = Callable[[int, int], None]  # (done, in all), in the task's own unit


@dataclass
class PageTask:
    """One task, as the page sees it while it runs and after it ends."""

    kind: str
    username: str
    started_at: str
    options: dict[str, Any] = field(default_factory=dict)  # what the page says about it
    phase: str = STARTING  # until the first progress report
    done: int = 0
    total: int = 0
    outcome: Any = None
    failure: DomainError | None = None  # translated when the page is shown
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        """Tell whether the task is still at work."""
        return self.phase in (STARTING, WORKING)

    @property
    def percent(self) -> int:
        """Return how much is done, in whole per cent."""
        return 100 * self.done // self.total if self.total else 0

    def seen(self) -> PageTask:
        """Return a copy of the task as it is now, for one page to show (the thread moves on)."""
        with self._lock:
            return replace(self, _lock=threading.Lock())

    def advance(self, done: int, total: int) -> None:
        """Record progress (the work's ``Progress`` callback)."""
        with self._lock:
            self.phase, self.done, self.total = WORKING, done, total

    def end(self, outcome: Any, failure: DomainError | None = None) -> None:
        """Record how the task ended: its outcome, or why it failed."""
        with self._lock:
            self.outcome, self.failure = outcome, failure
            self.phase = FAILED if failure is not None else DONE


class PageTasks:
    """Starts tasks on threads and keeps the latest of each kind."""

    def __init__(self) -> None:
        self._latest: dict[str, PageTask] = {}
        self._lock = threading.Lock()

    def latest(self, kind: str) -> PageTask | None:
        """Return a copy of the latest task of a kind, running or ended."""
        task = self._latest.get(kind)
        return task.seen() if task is not None else None

    def start(
        self,
        kind: str,
        work: Callable[[Progress], Any],
        *,
        username: str,
        now: datetime,
        busy: str,
        explain: Callable[[Exception], DomainError],
        options: dict[str, Any] | None = None,
    ) -> PageTask:
        """Run ``work`` on a thread as a task of ``kind``; refuse (``busy``) while one runs.

        ``explain`` turns what the work raised into the message the page shows.
        """
        with self._lock:
            current = self._latest.get(kind)
            if current is not None and current.running:
                raise InvalidInput(busy, field="folder")
            task = PageTask(kind, username, format_time(now), options=options or {})
            self._latest[kind] = task
        threading.Thread(
            target=self._run, args=(task, work, explain), name=kind, daemon=True
        ).start()
        return task

    @staticmethod
    def _run(
        task: PageTask,
        work: Callable[[Progress], Any],
        explain: Callable[[Exception], DomainError],
    ) -> None:
        try:
            outcome = work(task.advance)
        except (OSError, DomainError) as error:
            log.warning("%s failed: %s", task.kind, type(error).__name__)
            task.end(None, explain(error))
        except Exception as error:  # a thread has no error page: say so rather than hang at 99 %
            log.exception("%s failed", task.kind)
            task.end(None, explain(error))
        else:
            task.end(outcome)


_TASKS_LOCK = threading.Lock()


def page_tasks() -> PageTasks:
    """Return this app's tasks (one runner per app)."""
    with _TASKS_LOCK:
        tasks = current_app.extensions.get("bianmin_page_tasks")
        if tasks is None:
            tasks = current_app.extensions["bianmin_page_tasks"] = PageTasks()
    return tasks
