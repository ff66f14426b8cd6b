"""Put a backup back, and keep a restored PC from forking its own history at central.

Everything is checked before anything is touched: the manifest's hashes, the database's full
integrity check, a schema no newer than this code, the device the backup was made on, and the key's
passphrase. The current data is kept aside (copied to ``before-restore-<time>/``), attachments are
merged (content-addressed, so nothing is overwritten), and the restored database replaces the
current one with one atomic rename.

A restored backup may be older than what central already holds of this PC. Its next bundle would
reuse a sequence central has seen with other bytes: a fork, and central would quarantine the PC. So
a restored database is marked, and before anything is packed the worker asks central
(``GET /api/v1/devices/me``) how far it is; if central is ahead, sync stays held and the sync page
says what to do (give this PC a new identity and enroll it again: the cases at central are safe).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sync.case_numbers import device_code_from_id
from sync.client import CentralClient
from sync.errors import N_, Conflict, DomainError, NotAllowed
from sync.events import format_time, utc_now
from sync.signing import SigningKey
from township_app.backup import backup
from township_app.backup.backup import DATABASE, BackupInvalid
from township_app.casework.blobs import blob_path
from township_app.device_sync import device_keys
from township_app.stores import backup_store
from township_app.stores.migrations import migrations
from township_app.stores.store import Store

log = logging.getLogger(__name__)

PENDING, HELD = "pending", "held"
HELD_CODE = "restored_behind_central"
HELD_MESSAGE = N_(
    "本机恢复的备份比中心已收到的数据旧：为避免与中心记录冲突，已暂停同步。"
    "中心已收到的办件都安全保存在中心。请向中心管理员申请新的注册码，"
    "由信息化人员运行 bianmin-township new-identity 后重新注册本机。"
)


class OtherDevice(DomainError):
    """The backup was made on another PC and the restore was not told to accept that."""

    code = "other_device"


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did."""

    manifest: dict[str, Any]
    aside: Path | None
    blobs_added: int
    key_restored: bool


def restore_backup(
    home: Path,
    source: Path,
    *,
    passphrase: str | None = None,
    other_device: bool = False,
    now: datetime | None = None,
) -> RestoreResult:
    """Check a backup, keep the current data aside, and put the backup in place."""
    moment = now or utc_now()
    manifest = backup.verify_backup(source)
    unknown = [name for name in manifest["migrations"] if name not in _code_migrations()]
    if unknown:
        raise BackupInvalid(
            N_("备份由更新版本的软件制作（数据库版本 %(v)s），请先升级本软件再恢复。"),
            v=manifest["schema_version"],
        )
    current = _current_device(home / DATABASE)
    if current and current != manifest["device_id"] and not other_device:
        raise OtherDevice(
            N_(
                "这个备份来自另一台电脑（设备 %(theirs)s），不是本机（设备 %(ours)s）。"
                "如确实要用它替换本机数据，请加上 --other-device 再运行。"
            ),
            theirs=manifest["device_id"][:8],
            ours=current[:8],
        )
    key = None
    if passphrase and manifest.get("key_included"):
        raw = backup.read_backup_key(source, passphrase)  # a wrong passphrase stops here
        key = SigningKey.from_bytes(raw) if raw else None
    home.mkdir(parents=True, exist_ok=True)
    stamp = f"{moment.astimezone(UTC):%Y%m%d-%H%M%S}"
    with tempfile.TemporaryDirectory(dir=home, prefix=".restore-") as scratch:
        staged = Path(scratch) / DATABASE
        with zipfile.ZipFile(source) as archive:
            backup.extract_member(archive, DATABASE, staged)
            verdict = backup_store.integrity_check(staged)
            if verdict != "ok":
                raise BackupInvalid(
                    N_("备份中的数据库未通过完整性检查（%(v)s），未做任何改动。"), v=verdict
                )
            backup_store.mark_restored(staged, format_time(moment))
            aside = _keep_aside(home, stamp)
            # Attachments first: the restored database must never name a missing file.
            added = _merge_blobs(archive, manifest, home / "blobs")
            if backup.CONFIG in manifest["files"] and not (home / backup.CONFIG).exists():
                backup.extract_member(archive, backup.CONFIG, home / backup.CONFIG)
        _swap_database(home, staged)
    if key is not None:
        device_keys.save_key(home, key)
    log.info(
        "backup restored: %s (%s cases, %s attachments added)",
        source.name,
        manifest.get("cases"),
        added,
    )
    return RestoreResult(manifest, aside, added, key is not None)


def check_with_central(store: Store, client: CentralClient) -> bool:
    """Ask central how far it holds this PC after a restore; return whether sync may go on."""
    restores = store.restore
    state = restores.restore_state()
    if state["restore_check"] != PENDING:
        return state["restore_check"] != HELD
    held = client.me()  # Offline / ApiError: the caller keeps waiting, nothing is packed
    central_seq = int(held.get("last_sequence", 0))
    local_seq = int(state["bundle_sequence"])
    ours = restores.bundle_hash_at(central_seq) if central_seq else None
    behind = central_seq > local_seq or (
        central_seq > 0 and ours is not None and ours != held.get("last_bundle_hash")
    )
    with store.write():
        if behind:
            restores.set_restore_check(HELD, f"{central_seq}/{local_seq}")
        else:
            restores.set_restore_check("", "")
    if behind:
        log.warning(
            "restored data is behind central (bundle %s here, %s at central): sync held",
            local_seq,
            central_seq,
        )
    return not behind


def start_new_identity(store: Store, home: Path, now: datetime | None = None) -> dict[str, Any]:
    """Make this PC a new device (to enroll again); keep the old key and bundles aside."""
    device = store.device()
    if device is None:
        raise NotAllowed(N_("本机尚未初始化，请联系信息化人员运行 bianmin-township init。"))
    if store.restore.restore_state()["restore_check"] == PENDING:
        raise Conflict(N_("恢复后尚未与中心核对：请先联网同步一次，再决定是否重新注册。"))
    stamp = f"{(now or utc_now()).astimezone(UTC):%Y%m%d-%H%M%S}"
    for name in (device_keys.KEY_FILE, device_keys.NEXT_FILE, device_keys.PREVIOUS_FILE):
        if (home / name).exists():
            os.replace(home / name, home / f"{name}.retired-{stamp}")
    device_id = str(uuid.uuid4())
    with store.write():
        store.restore.retire_identity(
            old_device_id=device["device_id"],
            device_id=device_id,
            device_code=device_code_from_id(device_id),
            at=format_time(now or utc_now()),
        )
    log.info("new device identity %s (was %s)", device_id[:8], device["device_id"][:8])
    return store.device() or {}


def _code_migrations() -> set[str]:
    return {m.name for m in migrations._migrations}


def _current_device(path: Path) -> str:
    if not path.exists():
        return ""
    try:
        return (backup_store.describe(path)["device"] or {}).get("device_id", "")
    except Exception:  # noqa: BLE001 - a damaged database is a reason to restore, not a stop
        log.warning("current database unreadable; restoring over it")
        return ""


def _keep_aside(home: Path, stamp: str) -> Path | None:
    """Copy the current database and keys to ``before-restore-<stamp>/``; return the folder."""
    names = [DATABASE, DATABASE + "-wal", DATABASE + "-shm"]
    names += [device_keys.KEY_FILE, device_keys.NEXT_FILE, device_keys.PREVIOUS_FILE]
    present = [name for name in names if (home / name).exists()]
    if not present:
        return None
    aside = home / f"before-restore-{stamp}"
    aside.mkdir()
    if (home / DATABASE).exists():
        try:
            backup_store.checkpoint(home / DATABASE)
        except Exception:  # noqa: BLE001 - a damaged file is copied as it is, WAL and all
            log.warning("could not checkpoint the current database before the restore")
    for name in present:
        if (home / name).exists():
            shutil.copy2(home / name, aside / name)
            backup.fsync_file(aside / name)
    backup.fsync_dir(aside)
    return aside


def _merge_blobs(archive: zipfile.ZipFile, manifest: dict[str, Any], root: Path) -> int:
    added = 0
    for arcname in manifest["files"]:
        if not arcname.startswith("blobs/"):
            continue
        sha256 = arcname.rsplit("/", 1)[1]
        target = blob_path(root, sha256)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".restore-{sha256}"
        backup.extract_member(archive, arcname, temporary)
        os.replace(temporary, target)
        backup.fsync_dir(target.parent)
        added += 1
    return added


def _swap_database(home: Path, staged: Path) -> None:
    # A stale WAL left beside the new file would be replayed into it: remove the old one's first
    # (it was folded in and copied aside above).
    for suffix in ("-wal", "-shm"):
        (home / (DATABASE + suffix)).unlink(missing_ok=True)
    os.replace(staged, home / DATABASE)
    backup.fsync_dir(home)
