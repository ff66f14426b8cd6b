"""Background jobs: one callable in a daemon thread of its own, keeping what it returned or raised.

Every thread of the township app's background work (the sync loop, packing beside the upload, the
push beside the upload, the daily backup) is one of these, so that a failure is never lost in a
thread: the owner reads it and reports it like its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class BackgroundJob:
    """Run ``target(*args)`` once in a daemon thread named ``name``."""

    def __init__(
        self, name: str, target: Callable[..., Any], *args: Any, log_failure: bool = True
    ) -> None:
        self.name = name
        self.target = target
        self.args = args
        self.log_failure = log_failure
        self.result: Any = None
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> BackgroundJob:
        """Start the job and return it."""
        self.thread.start()
        return self

    def is_alive(self) -> bool:
        """Tell whether the job still runs."""
        return self.thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the job to end (or for ``timeout`` seconds)."""
        self.thread.join(timeout)

    def _run(self) -> None:
        try:
            self.result = self.target(*self.args)
        except BaseException as error:  # noqa: BLE001 - kept for the owner, never lost
            if self.log_failure:
                log.exception("%s failed", self.name)
            self.failure = error
