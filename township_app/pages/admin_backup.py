"""Backups from the admin page: to a chosen folder (a USB stick), followed as they run, and the
list of recent ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext

from staff_pages.display import translate_error
from sync import usb
from sync.errors import N_, InvalidInput
from township_app.backup import backup, backup_jobs
from township_app.pages.page_tasks import PageTask, page_tasks


def start_backup(
    *,
    folder: str,
    passphrase: str,
    confirmation: str,
    username: str,
    now: datetime,
) -> PageTask:
    """Check the form and start writing the backup on a thread; the page follows its progress."""
    target = Path(folder.strip())
    if not folder.strip() or not target.is_absolute():
        raise InvalidInput(
            N_("请填写保存备份的文件夹的完整路径，例如 U 盘的 /media/usb 或 E:\\。"),
            field="folder",
        )
    if not usb.is_folder(target.parent):
        raise InvalidInput(
            N_("找不到文件夹「%(path)s」：请插好 U 盘并检查路径。"), field="folder", path=folder
        )
    if passphrase and len(passphrase) < 8:
        raise InvalidInput(N_("备份密码至少 8 个字符。"), field="passphrase")
    if passphrase != confirmation:
        raise InvalidInput(N_("两次输入的备份密码不一致。"), field="passphrase")
    config = current_app.config
    work = backup_jobs.backup_work(
        Path(str(config["HOME"])),
        Path(str(config["DATABASE"])),
        target,
        passphrase or None,
        username=username,
        now=now,
    )
    return page_tasks().start(
        backup_jobs.KIND,
        work,
        username=username,
        now=now,
        busy=backup_jobs.BUSY,
        explain=backup_jobs.explain_failure,
        options={"with_key": bool(passphrase)},
    )


def latest_backup() -> PageTask | None:
    """Return the backup started from the page most recently, running or ended."""
    return page_tasks().latest(backup_jobs.KIND)


def backup_message(task: PageTask) -> str:
    """Return the result message of an ended backup, in the page's language."""
    if task.failure is not None:
        return translate_error(task.failure)
    outcome = task.outcome
    message = gettext(
        "备份完成：%(path)s（%(size)s MB，办件 %(cases)s 件，附件 %(files)s 个）。"
    ) % {
        "path": outcome.path,
        "size": round(outcome.size / 1024 / 1024, 1),
        "cases": outcome.manifest["cases"],
        "files": backup.attachment_count(outcome.manifest),
    }
    if not outcome.manifest["key_included"] and task.options.get("with_key"):
        message += gettext("本机还没有设备密钥（尚未注册），备份中不含密钥。")
    elif not outcome.manifest["key_included"]:
        message += gettext("未设置备份密码，备份中不含设备密钥。")
    return message


def recent_backups(folder: Path, limit: int = 10) -> list[dict[str, Any]]:
    """Return the newest backups in a folder (name, size in MB, made at), newest first."""
    if not usb.is_folder(folder):
        return []
    paths = sorted(folder.glob("bianmin-backup-*.zip"), reverse=True)[:limit]
    return [{"name": p.name, "size_mb": round(p.stat().st_size / 1024 / 1024, 1)} for p in paths]
