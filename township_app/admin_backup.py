"""Backups from the admin page: to a chosen folder (a USB stick), followed as they run, and the
list of recent ones."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext

from sync.errors import N_, InvalidInput
from township_app import backup
from township_app.backup_jobs import BackupJob, BackupRunner

_RUNNER_LOCK = threading.Lock()


def start_backup(
    *,
    folder: str,
    passphrase: str,
    confirmation: str,
    username: str,
    now: datetime,
) -> BackupJob:
    """Check the form and start writing the backup on a thread; the page follows its progress."""
    target = Path(folder.strip())
    if not folder.strip() or not target.is_absolute():
        raise InvalidInput(
            N_("请填写保存备份的文件夹的完整路径，例如 U 盘的 /media/usb 或 E:\\。"),
            field="folder",
        )
    if not target.parent.is_dir():
        raise InvalidInput(
            N_("找不到文件夹「%(path)s」：请插好 U 盘并检查路径。"), field="folder", path=folder
        )
    if passphrase and len(passphrase) < 8:
        raise InvalidInput(N_("备份密码至少 8 个字符。"), field="passphrase")
    if passphrase != confirmation:
        raise InvalidInput(N_("两次输入的备份密码不一致。"), field="passphrase")
    return backup_runner().start(target, passphrase or None, username=username, now=now)


def backup_runner() -> BackupRunner:
    """Return this app's backup runner (one per app: one backup at a time)."""
    with _RUNNER_LOCK:
        runner = current_app.extensions.get("bianmin_backups")
        if runner is None:
            config = current_app.config
            runner = BackupRunner(Path(str(config["HOME"])), Path(str(config["DATABASE"])))
            current_app.extensions["bianmin_backups"] = runner
    return runner


def latest_backup() -> BackupJob | None:
    """Return the backup started from the page most recently, running or ended."""
    return backup_runner().latest


def backup_message(job: BackupJob) -> str:
    """Return the result message of an ended backup, in the page's language."""
    if job.result is None:
        return gettext("备份失败，数据未受影响：%(error)s。请检查 U 盘是否写保护或空间不足。") % {
            "error": job.error
        }
    manifest = job.result.manifest
    message = gettext(
        "备份完成：%(path)s（%(size)s MB，办件 %(cases)s 件，附件 %(files)s 个）。"
    ) % {
        "path": job.result.path,
        "size": round(job.size / 1024 / 1024, 1),
        "cases": manifest["cases"],
        "files": backup.attachment_count(manifest),
    }
    if not manifest["key_included"] and job.with_key:
        message += gettext("本机还没有设备密钥（尚未注册），备份中不含密钥。")
    elif not manifest["key_included"]:
        message += gettext("未设置备份密码，备份中不含设备密钥。")
    return message


def recent_backups(folder: Path, limit: int = 10) -> list[dict[str, Any]]:
    """Return the newest backups in a folder (name, size in MB, made at), newest first."""
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("bianmin-backup-*.zip"), reverse=True)[:limit]
    return [{"name": p.name, "size_mb": round(p.stat().st_size / 1024 / 1024, 1)} for p in paths]
