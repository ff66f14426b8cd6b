"""Backups from the admin page: to a chosen folder (a USB stick), and the list of recent ones."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext

from sync.errors import N_, DomainError, InvalidInput
from sync.events import format_time
from township_app import backup
from township_app.db import get_store

log = logging.getLogger(__name__)


def backup_to_folder(
    config: Mapping[str, Any],
    *,
    folder: str,
    passphrase: str,
    confirmation: str,
    username: str,
    now: datetime,
) -> str:
    """Check the form, write the backup, record it in the audit trail; return the result message."""
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
    try:
        result = backup.make_backup(
            Path(str(config["HOME"])), target, passphrase=passphrase or None, now=now
        )
    except (OSError, DomainError) as error:
        log.warning("backup to a chosen folder failed: %s", type(error).__name__)
        raise InvalidInput(
            N_("备份失败，数据未受影响：%(error)s。请检查 U 盘是否写保护或空间不足。"),
            field="folder",
            error=str(error)[:200],
        ) from None
    store = get_store()
    store.audit(format_time(now), username, "backup", result.path.name)
    manifest = result.manifest
    message = gettext(
        "备份完成：%(path)s（%(size)s MB，办件 %(cases)s 件，附件 %(files)s 个）。"
    ) % {
        "path": result.path,
        "size": round(result.size / 1024 / 1024, 1),
        "cases": manifest["cases"],
        "files": backup.attachment_count(manifest),
    }
    if not manifest["key_included"] and passphrase:
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
