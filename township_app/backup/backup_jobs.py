"""A backup to a chosen folder as a page task: written on a thread, its progress in bytes, and the
audit line and the file's size recorded as soon as it is written (the stick may be gone later)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sync.errors import N_, DomainError, InvalidInput
from sync.events import format_time
from township_app.backup import backup
from township_app.pages.page_tasks import Progress
from township_app.stores.store import Store

log = logging.getLogger(__name__)

KIND = "backup"
BUSY = N_("上一次备份还在进行中，请等它完成后再备份。")


@dataclass(frozen=True)
class BackupOutcome:
    """A backup just written: where, what it holds, and how large it was."""

    path: Path
    manifest: dict[str, Any]
    size: int


def backup_work(
    home: Path,
    database: Path,
    folder: Path,
    passphrase: str | None,
    *,
    username: str,
    now: datetime,
) -> Callable[[Progress], BackupOutcome]:
    """Return the work of one backup into ``folder`` (already checked), for ``PageTasks.start``."""

    def work(progress: Progress) -> BackupOutcome:
        result = backup.make_backup(home, folder, passphrase=passphrase, now=now, progress=progress)
        _audit(database, now, username, result.path.name)
        try:
            size = result.size
        except OSError:  # the stick was pulled out the moment the backup was written
            size = 0
        return BackupOutcome(result.path, result.manifest, size)

    return work


def explain_failure(error: Exception) -> DomainError:
    """Say why a backup failed (nothing of the data is touched by a failed backup)."""
    return InvalidInput(
        N_("备份失败，数据未受影响：%(error)s。请检查 U 盘是否写保护或空间不足。"),
        field="folder",
        error=(str(error) or type(error).__name__)[:200],
    )


def _audit(database: Path, now: datetime, username: str, name: str) -> None:
    try:
        store = Store.open(database)
        try:
            store.audit(format_time(now), username, "backup", name)
        finally:
            store.close()
    except sqlite3.Error as error:  # the backup is made; only its line in the trail is lost
        log.warning("backup made but not written to the audit trail: %s", error)
