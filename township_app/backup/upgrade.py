"""Upgrades keep every case: the first start of a new version backs the database up, then migrates;
a failed migration puts the backup back and says so.

Each migration step is transactional on its own, but an upgrade may run several: the backup made
before the first one is what brings the whole database back to the version that wrote it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from sync.errors import N_, DomainError
from township_app.backup import backup
from township_app.stores.migrations import migrations
from township_app.stores.store import Store, connect

log = logging.getLogger(__name__)


class UpgradeFailed(DomainError):
    """A migration failed; the database was put back as it was before the upgrade."""

    code = "upgrade_failed"


def open_migrated(path: Path | str) -> Store:
    """Open the database at ``path`` and bring it to this version (start-up and the CLI, once)."""
    store = Store.open(path)
    apply_migrations(store, Path(path))
    return store


def apply_migrations(store: Store, path: Path) -> None:
    """Apply pending migrations; on an existing database, back it up first and undo a failure."""
    pending = migrations.pending(store.db)
    if not pending:
        return
    if not migrations.applied(store.db):
        migrations.apply(store.db)  # a new database: nothing to keep
        return
    home = path.parent
    try:
        made = backup.make_backup(home, home / "backups", kind="upgrade", attachments=False)
    except (OSError, sqlite3.Error) as error:
        # No backup, no upgrade: the old database stays exactly as it is.
        store.close()
        log.error("upgrade not started: the backup before it failed (%s)", error)
        raise UpgradeFailed(
            N_("升级前无法备份数据库（%(error)s），为保护数据没有升级。请检查磁盘空间后重新启动。"),
            error=str(error)[:200],
        ) from error
    log.info(
        "upgrade: backed up the database before %s migration(s): %s",
        len(pending),
        made.path.name,
    )
    try:
        migrations.apply(store.db)
    except Exception as error:
        step = _failed_step(store)
        store.close()
        if not _pending_on_disk(path):
            return  # another process migrated it at the same moment: nothing to undo
        _put_back(path, made.path)
        log.error("upgrade failed at %s (%s); database restored from %s", step, error, made.path)
        raise UpgradeFailed(
            N_(
                "升级数据库失败（步骤 %(step)s：%(error)s）。已自动恢复为升级前的数据库，"
                "办件数据未受影响；升级前的备份在 %(path)s。请联系信息化人员。"
            ),
            step=step,
            error=str(error)[:200],
            path=str(made.path),
        ) from error
    log.info("upgrade: %s migration(s) applied", len(pending))


def _failed_step(store: Store) -> str:
    try:
        waiting = migrations.pending(store.db)
    except sqlite3.Error:
        return "?"
    return waiting[0].name if waiting else "?"


def _pending_on_disk(path: Path) -> bool:
    store = Store(connect(path))
    try:
        return bool(migrations.pending(store.db))
    finally:
        store.close()


def _put_back(path: Path, source: Path) -> None:
    """Replace the database with the one in a backup, in one rename."""
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".upgrade-") as scratch:
        staged = Path(scratch) / backup.DATABASE
        with zipfile.ZipFile(source) as archive:
            backup.extract_member(archive, backup.DATABASE, staged)
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        os.replace(staged, path)
        backup.fsync_dir(path.parent)
