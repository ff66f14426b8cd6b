"""A backup started from the admin page runs on a thread of its own, so that the page can show how
far it has got (a database of 100,000 cases and its scans take minutes to write to a USB stick)
instead of hanging on one request until it ends. One backup at a time per app."""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sync.errors import N_, DomainError, InvalidInput
from sync.events import format_time
from township_app import backup
from township_app.store import Store

log = logging.getLogger(__name__)

SNAPSHOT, WRITING, DONE, FAILED = "snapshot", "writing", "done", "failed"


@dataclass
class BackupJob:
    """One backup to a chosen folder, as the page sees it while it runs and after it ends."""

    folder: Path
    username: str
    started_at: str
    with_key: bool  # a passphrase was given, so the key is wanted in the backup
    phase: str = SNAPSHOT
    done: int = 0  # bytes written so far
    total: int = 0  # bytes to write in all
    result: backup.BackupResult | None = None
    size: int = 0  # of the backup file, measured when it was written: the stick may be gone since
    error: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        """Tell whether the backup is still being written."""
        return self.phase in (SNAPSHOT, WRITING)

    @property
    def percent(self) -> int:
        """Return how much is written, in whole per cent."""
        return 100 * self.done // self.total if self.total else 0

    def seen(self) -> BackupJob:
        """Return a copy of the job as it is now, for one page to show (the thread moves on)."""
        with self._lock:
            return replace(self, _lock=threading.Lock())

    def advance(self, done: int, total: int) -> None:
        """Record progress (the backup's ``Progress`` callback)."""
        with self._lock:
            self.phase, self.done, self.total = WRITING, done, total

    def end(self, result: backup.BackupResult | None, error: str = "") -> None:
        """Record how the backup ended."""
        size = 0
        if result is not None:
            try:
                size = result.size
            except OSError:  # the stick was pulled out the moment the backup was written
                size = 0
        with self._lock:
            self.result, self.size, self.error = result, size, error
            self.phase = DONE if result is not None else FAILED


class BackupRunner:
    """Starts backups on a thread and keeps the latest one for the page."""

    def __init__(self, home: Path, database: Path) -> None:
        self.home, self.database = home, database
        self.latest: BackupJob | None = None
        self._lock = threading.Lock()

    def start(
        self, folder: Path, passphrase: str | None, *, username: str, now: datetime
    ) -> BackupJob:
        """Start a backup into ``folder`` (already checked); refuse while another one runs."""
        with self._lock:
            if self.latest is not None and self.latest.running:
                raise InvalidInput(N_("上一次备份还在进行中，请等它完成后再备份。"), field="folder")
            job = BackupJob(folder, username, format_time(now), with_key=bool(passphrase))
            self.latest = job
        threading.Thread(
            target=self._run, args=(job, passphrase, now), name="backup", daemon=True
        ).start()
        return job

    def _run(self, job: BackupJob, passphrase: str | None, now: datetime) -> None:
        try:
            result = backup.make_backup(
                self.home, job.folder, passphrase=passphrase, now=now, progress=job.advance
            )
        except (OSError, DomainError) as error:
            log.warning("backup to a chosen folder failed: %s", type(error).__name__)
            job.end(None, str(error)[:200])
            return
        except Exception as error:  # a thread has no error page: say so rather than hang at 99 %
            log.exception("backup to a chosen folder failed")
            job.end(None, type(error).__name__)
            return
        self._audit(job, result)
        job.end(result)

    def _audit(self, job: BackupJob, result: backup.BackupResult) -> None:
        try:
            store = Store.open(self.database)
            try:
                store.audit(job.started_at, job.username, "backup", result.path.name)
            finally:
                store.close()
        except sqlite3.Error as error:  # the backup is made; only its line in the trail is lost
            log.warning("backup made but not written to the audit trail: %s", error)
