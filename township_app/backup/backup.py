"""Backups of this PC's data: one zip file with the database, the attachments, the device key
encrypted with a passphrase, and a manifest of SHA-256 hashes.

The database is copied with SQLite's online backup API, so a backup can be made while the app
runs. The zip is written under a temporary name, fsynced, then renamed: a power cut leaves either a
whole backup or a ``.partial`` file that nobody mistakes for one (the next backup removes it once
it is clearly left behind). The device key never goes into a backup in clear: without a passphrase
it is left out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from staff_pages import version
from sync.errors import N_, DomainError
from sync.events import format_time, utc_now
from sync.files import fsync_dir
from township_app.casework.blobs import blob_path
from township_app.device_sync import device_keys
from township_app.stores import backup_store

log = logging.getLogger(__name__)

FORMAT = "bianmin-township-backup/1"
MANIFEST = "manifest.json"
DATABASE = "township.db"
KEY = "device_key.enc"
CONFIG = "config.py"  # the settings IT staff wrote for this PC (server address, centre name)
CHUNK = 1024 * 1024
# scrypt with 32 MB of memory: seconds of work per guess on a township PC, fine once per backup.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_NAME = re.compile(r"^bianmin-backup-(\d{8})-(\d{6})-(daily|manual|upgrade)\.zip$")
_BLOB_NAME = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[int, int], None]  # (bytes written, bytes in all), after every chunk

# What a backup stopped by force (the window closed, the power cut) leaves behind: the half-written
# zip on the stick and the database snapshot beside the data. A zip being written is touched every
# second or so, a snapshot only when its backup starts: each is taken for left behind only once it
# has been untouched for far longer than any backup runs.
STALE_PARTIAL_SECONDS = 3600
STALE_SCRATCH_SECONDS = 24 * 3600
_PARTIAL = "bianmin-backup-*.zip.partial"
_SCRATCH = ".backup-*"


class BackupInvalid(DomainError):
    """A backup file is damaged, incomplete or not a backup of this app."""

    code = "backup_invalid"


class WrongPassphrase(DomainError):
    """The passphrase does not open the device key of a backup."""

    code = "wrong_passphrase"


@dataclass(frozen=True)
class BackupResult:
    """A backup just made."""

    path: Path
    manifest: dict[str, Any]

    @property
    def size(self) -> int:
        """Return the backup file's size in bytes."""
        return self.path.stat().st_size


def app_version() -> str:
    """Return the installed version of this app."""
    return version.app_version()


def make_backup(
    home: Path,
    folder: Path,
    *,
    passphrase: str | None = None,
    kind: str = "manual",
    attachments: bool = True,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> BackupResult:
    """Write a backup of the data folder ``home`` into ``folder`` and return it."""
    moment = now or utc_now()
    folder.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(home, folder)
    name = f"bianmin-backup-{moment.astimezone(UTC):%Y%m%d-%H%M%S}-{kind}.zip"
    target = folder / name
    partial = folder / f".{name}.partial"
    # The snapshot is made on the PC's own disk (next to the data), not on the USB stick.
    with tempfile.TemporaryDirectory(dir=home, prefix=".backup-") as scratch:
        snapshot = Path(scratch) / DATABASE
        backup_store.snapshot(home / DATABASE, snapshot)
        facts = backup_store.describe(snapshot)
        device = facts["device"] or {}
        blobs = sorted(_blob_files(home / "blobs")) if attachments else []
        key_blob = _encrypted_key(home, passphrase, device.get("device_id", ""))
        files: dict[str, dict[str, Any]] = {}
        # Counted in bytes, not files: the database is one file but most of the work.
        meter = _Meter(progress, snapshot.stat().st_size + sum(p.stat().st_size for p in blobs))
        try:
            with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
                files[DATABASE] = _add_file(
                    archive, DATABASE, snapshot, zipfile.ZIP_DEFLATED, meter
                )
                for path in blobs:
                    arcname = f"blobs/{path.name[:2]}/{path.name}"
                    # Scans are already compressed (JPEG, PNG, PDF): store them as they are.
                    files[arcname] = _add_file(archive, arcname, path, zipfile.ZIP_STORED, meter)
                if (home / CONFIG).is_file():
                    files[CONFIG] = _add_file(archive, CONFIG, home / CONFIG, zipfile.ZIP_DEFLATED)
                if key_blob:
                    archive.writestr(KEY, key_blob)
                    files[KEY] = {"sha256": _sha256(key_blob), "size": len(key_blob)}
                manifest = {
                    "format": FORMAT,
                    "app_version": app_version(),
                    "schema_version": len(facts["migrations"]),
                    "migrations": facts["migrations"],
                    "device_id": device.get("device_id", ""),
                    "device_code": device.get("device_code", ""),
                    "org_code": device.get("org_code", ""),
                    "created_at": format_time(moment),
                    "kind": kind,
                    "cases": facts["cases"],
                    "events": facts["events"],
                    "attachments_included": attachments,
                    "key_included": bool(key_blob),
                    "files": files,
                }
                archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            fsync_file(partial)
            os.replace(partial, target)
            fsync_dir(folder)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        meter.finish()
    log.info("backup written: %s (%s files)", target.name, len(files))
    return BackupResult(target, manifest)


def sweep_leftovers(home: Path, folder: Path, *, at: float | None = None) -> list[Path]:
    """Remove what backups stopped by force left in ``folder`` and ``home``; return what went.

    A leftover that cannot be removed (a read-only stick, a file still open on Windows) stays,
    and the backup goes on: it never depends on the sweep.
    """
    moment = time.time() if at is None else at
    swept = []
    for path in folder.glob("." + _PARTIAL):
        if _untouched_for(path, moment) > STALE_PARTIAL_SECONDS:
            try:
                path.unlink()
            except OSError as error:
                log.warning("left-behind backup %s not removed: %s", path.name, error)
                continue
            swept.append(path)
    for path in home.glob(_SCRATCH):
        if path.is_dir() and _untouched_for(path, moment) > STALE_SCRATCH_SECONDS:
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                swept.append(path)
    for path in swept:
        log.info("removed what a stopped backup left: %s", path.name)
    return swept


def _untouched_for(path: Path, moment: float) -> float:
    """Return the seconds since ``path`` (or, for a folder, anything directly in it) last changed."""
    try:
        times = [path.stat().st_mtime]
        if path.is_dir():
            times += [child.stat().st_mtime for child in path.iterdir()]
    except OSError:
        return 0.0  # going away as we look: someone is at work on it
    return moment - max(times)


def attachment_count(manifest: Mapping[str, Any]) -> int:
    """Return how many attachments a backup holds."""
    return sum(1 for name in manifest["files"] if name.startswith("blobs/"))


def read_manifest(path: Path) -> dict[str, Any]:
    """Return a backup's manifest without checking its files."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        raise BackupInvalid(N_("「%(name)s」不是完整的便民备份文件。"), name=path.name) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupInvalid(N_("「%(name)s」不是本软件的备份文件。"), name=path.name)
    return manifest


def verify_backup(path: Path) -> dict[str, Any]:
    """Check every file of a backup against its manifest's size and SHA-256; return the manifest."""
    manifest = read_manifest(path)
    files = manifest.get("files")
    if not isinstance(files, dict) or DATABASE not in files:
        raise BackupInvalid(N_("备份「%(name)s」的清单不完整。"), name=path.name)
    try:
        with zipfile.ZipFile(path) as archive:
            present = set(archive.namelist()) - {MANIFEST}
            if present != set(files):
                raise BackupInvalid(N_("备份「%(name)s」中的文件与清单不符。"), name=path.name)
            for arcname, expected in files.items():
                digest, size = hashlib.sha256(), 0
                with archive.open(arcname) as member:
                    while chunk := member.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                if digest.hexdigest() != expected.get("sha256") or size != expected.get("size"):
                    raise BackupInvalid(
                        N_("备份「%(name)s」中的「%(file)s」已损坏（校验值不符）。"),
                        name=path.name,
                        file=arcname,
                    )
    except (OSError, zipfile.BadZipFile):
        # zipfile checks each member's CRC as it reads: a flipped bit ends up here.
        raise BackupInvalid(N_("备份「%(name)s」已损坏，无法读取。"), name=path.name) from None
    return manifest


def encrypt_key(private_bytes: bytes, passphrase: str, device_id: str) -> bytes:
    """Return the device key encrypted with a passphrase (scrypt + AES-GCM), as JSON bytes."""
    salt, nonce = os.urandom(16), os.urandom(12)
    secret = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    sealed = AESGCM(secret).encrypt(nonce, private_bytes, device_id.encode())
    body = {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": base64.b64encode(salt).decode(),
        "cipher": "aes-256-gcm",
        "nonce": base64.b64encode(nonce).decode(),
        "device_id": device_id,
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return json.dumps(body).encode()


def decrypt_key(blob: bytes, passphrase: str) -> bytes:
    """Return the private key bytes sealed by ``encrypt_key``, or raise WrongPassphrase."""
    try:
        body = json.loads(blob)
        secret = _derive(
            passphrase, base64.b64decode(body["salt"]), body["n"], body["r"], body["p"]
        )
        return AESGCM(secret).decrypt(
            base64.b64decode(body["nonce"]),
            base64.b64decode(body["ciphertext"]),
            str(body["device_id"]).encode(),
        )
    except InvalidTag:
        raise WrongPassphrase(N_("密码不正确，无法解开备份中的设备密钥。")) from None
    except (ValueError, KeyError, TypeError):
        raise BackupInvalid(N_("备份中的设备密钥文件已损坏。")) from None


def read_backup_key(path: Path, passphrase: str) -> bytes | None:
    """Return the device key in a backup, decrypted, or None when the backup holds none."""
    with zipfile.ZipFile(path) as archive:
        if KEY not in archive.namelist():
            return None
        return decrypt_key(archive.read(KEY), passphrase)


def prune_backups(folder: Path, *, daily: int, weekly: int) -> list[Path]:
    """Delete daily backups beyond the newest ``daily`` days and ``weekly`` weeks; return them.

    Only this app's daily backups are ever deleted; manual and pre-upgrade backups stay.
    """
    dated: list[tuple[datetime, Path]] = []
    for path in folder.glob("bianmin-backup-*-daily.zip"):
        match = _NAME.match(path.name)
        if match:
            dated.append((datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S"), path))
    dated.sort(reverse=True)
    keep: set[Path] = set()
    days: set[date] = set()
    weeks: set[tuple[int, int]] = set()
    for moment, path in dated:
        day, week = moment.date(), moment.isocalendar()[:2]
        if day not in days and len(days) < daily:
            days.add(day)
            keep.add(path)
        if week not in weeks and len(weeks) < weekly:
            weeks.add(week)
            keep.add(path)
    removed = [path for _, path in dated if path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def backup_due(folder: Path, today: date) -> bool:
    """Tell whether today's daily backup is still to be made."""
    return not any(folder.glob(f"bianmin-backup-{today:%Y%m%d}-*-daily.zip"))


def run_daily_backup(config: Mapping[str, Any], now: datetime | None = None) -> Path | None:
    """Make today's daily backup if it is due, prune old ones; never raise (a worker job)."""
    try:
        home = Path(str(config["HOME"]))
        folder = backup_folder(config)
        moment = now or utc_now()
        if not (home / DATABASE).exists() or not backup_due(folder, moment.astimezone(UTC).date()):
            return None
        passphrase = _configured_passphrase(config)
        result = make_backup(home, folder, passphrase=passphrase, kind="daily", now=moment)
        prune_backups(
            folder,
            daily=int(config.get("BACKUP_KEEP_DAILY", 7)),
            weekly=int(config.get("BACKUP_KEEP_WEEKLY", 4)),
        )
        return result.path
    except Exception:  # noqa: BLE001 - a failed backup must not stop the worker's loop
        log.exception("daily backup failed")
        return None


def backup_folder(config: Mapping[str, Any]) -> Path:
    """Return where daily and pre-upgrade backups go."""
    configured = str(config.get("BACKUP_DIR") or "")
    return Path(configured) if configured else Path(str(config["HOME"])) / "backups"


def extract_member(archive: zipfile.ZipFile, arcname: str, target: Path) -> None:
    """Write one member of a backup to ``target`` durably."""
    with archive.open(arcname) as member, open(target, "wb") as out:
        shutil.copyfileobj(member, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())


def _configured_passphrase(config: Mapping[str, Any]) -> str | None:
    path = str(config.get("BACKUP_PASSPHRASE_FILE") or "")
    if not path:
        return None
    return Path(path).read_text(encoding="utf-8").strip() or None


def _encrypted_key(home: Path, passphrase: str | None, device_id: str) -> bytes | None:
    if not passphrase:
        return None
    key = device_keys.load_key(home)
    if key is None:
        return None
    return encrypt_key(key.private_bytes(), passphrase, device_id)


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _blob_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in root.glob("??/*"):
        # Only finished, content-addressed files: never an upload still being written.
        if _BLOB_NAME.match(path.name) and path == blob_path(root, path.name):
            yield path


def _add_file(
    archive: zipfile.ZipFile,
    arcname: str,
    path: Path,
    method: int,
    meter: _Meter | None = None,
) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    info = zipfile.ZipInfo.from_file(path, arcname)
    info.compress_type = method
    with open(path, "rb") as source, archive.open(info, "w", force_zip64=True) as member:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            member.write(chunk)
            if meter is not None:
                meter.add(len(chunk))
    return {"sha256": digest.hexdigest(), "size": size}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Meter:
    """Adds up the bytes written and tells the caller's progress callback, if there is one."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def add(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            # A file that grew since it was measured must not show more than 100 %.
            self.progress(min(self.done, self.total), self.total)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


def fsync_file(path: Path) -> None:
    """Flush a file's bytes to the disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
