"""Backup and restore through the real command line, on real data folders with cases and scans."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.signing import SigningKey
from tests.support.cases import queue_forwarded_cases
from tests.support.township import copy_home, township_cli
from township_app.backup import backup
from township_app.backup.restore import OtherDevice, restore_backup
from township_app.device_sync import device_keys

PASSPHRASE = "门前三棵树-2026"


def case_log(home: Path) -> list[tuple]:
    """Return every row of the case log, in order, as stored."""
    conn = sqlite3.connect(home / "township.db")
    try:
        return conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


def blob_files(home: Path) -> dict[str, bytes]:
    """Return every attachment file by its name."""
    return {p.name: p.read_bytes() for p in (home / "blobs").glob("??/*")}


@pytest.fixture
def full_home(demo_home: Path, tmp_path: Path) -> Path:
    """A data folder with forwarded cases, their scans, and a device key."""
    queue_forwarded_cases(demo_home, 6, scan_bytes=5000)
    device_keys.save_key(demo_home, SigningKey.generate())
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n", encoding="utf-8")
    return demo_home


def test_backup_then_restore_gives_back_the_case_log_scans_and_key_byte_for_byte(
    full_home: Path, tmp_path: Path
):
    log_before, blobs_before = case_log(full_home), blob_files(full_home)
    key_before = (full_home / "device_key").read_text()
    usb = tmp_path / "usb"
    made = township_cli(full_home, "backup", "--to", str(usb), "--passphrase-file",
                    str(tmp_path / "passphrase"))  # fmt: skip
    assert made.returncode == 0, made.stderr
    [archive] = usb.glob("bianmin-backup-*-manual.zip")
    assert not list(usb.glob(".*.partial"))
    manifest = backup.verify_backup(archive)
    assert manifest["cases"] == 6 and manifest["events"] == 18 and manifest["key_included"]
    # The key is in the backup only encrypted; the passphrase opens it.
    with zipfile.ZipFile(archive) as opened:
        sealed = opened.read(backup.KEY)
    assert bytes.fromhex(key_before) not in sealed and key_before.encode() not in sealed
    assert backup.read_backup_key(archive, PASSPHRASE).hex() == key_before

    # Work goes on after the backup; then the PC loses its scans and key.
    queue_forwarded_cases(full_home, 2, seed=99)
    (full_home / "device_key").unlink()
    for path in (full_home / "blobs").glob("??/*"):
        path.unlink()

    put_back = township_cli(full_home, "restore", str(archive), "--passphrase-file",
                        str(tmp_path / "passphrase"))  # fmt: skip
    assert put_back.returncode == 0, put_back.stderr
    assert case_log(full_home) == log_before
    assert blob_files(full_home) == blobs_before
    assert (full_home / "device_key").read_text() == key_before
    checked = township_cli(full_home, "check")
    assert checked.returncode == 0 and "hash chain intact" in checked.stdout
    # The data replaced by the restore is kept aside, with the two later cases in it.
    [aside] = full_home.glob("before-restore-*")
    assert len(case_log(aside)) == len(log_before) + 6


def test_a_damaged_backup_is_refused_and_changes_nothing(full_home: Path, tmp_path: Path):
    result = backup.make_backup(full_home, tmp_path / "usb")
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(result.path) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("blobs/"):
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit of one scan
            target.writestr(info, data)
    before = (full_home / "township.db").read_bytes()
    refused = township_cli(full_home, "restore", str(damaged))
    assert refused.returncode == 1
    assert "已损坏" in refused.stderr and "数据未改动" in refused.stderr
    assert (full_home / "township.db").read_bytes() == before
    assert not list(full_home.glob("before-restore-*"))


def test_a_wrong_passphrase_is_refused_before_anything_changes(full_home: Path, tmp_path: Path):
    result = backup.make_backup(full_home, tmp_path / "usb", passphrase=PASSPHRASE)
    (tmp_path / "wrong").write_text("not the passphrase")
    before = case_log(full_home)
    queue_forwarded_cases(full_home, 1, seed=5)
    refused = township_cli(full_home, "restore", str(result.path), "--passphrase-file",
                       str(tmp_path / "wrong"))  # fmt: skip
    assert refused.returncode == 1 and "密码不正确" in refused.stderr
    assert len(case_log(full_home)) == len(before) + 3


def test_a_backup_of_another_pc_needs_other_device(
    full_home: Path, demo_home_template: Path, tmp_path: Path
):
    result = backup.make_backup(full_home, tmp_path / "usb")
    other = copy_home(demo_home_template, tmp_path / "other")
    conn = sqlite3.connect(other / "township.db")
    conn.execute("UPDATE device SET device_id = 'another-pc-0000' WHERE id = 1")
    conn.commit()
    conn.close()
    refused = township_cli(other, "restore", str(result.path))
    assert refused.returncode == 1 and "另一台电脑" in refused.stderr
    with pytest.raises(OtherDevice):
        restore_backup(other, result.path)
    accepted = township_cli(other, "restore", str(result.path), "--other-device")
    assert accepted.returncode == 0, accepted.stderr
    assert case_log(other) == case_log(full_home)


def test_a_backup_made_by_a_newer_version_is_refused(full_home: Path, tmp_path: Path):
    conn = sqlite3.connect(full_home / "township.db")
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('bianmin_township', 'm999_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    result = backup.make_backup(full_home, tmp_path / "usb")
    refused = township_cli(full_home, "restore", str(result.path))
    assert refused.returncode == 1 and "更新版本" in refused.stderr


def test_a_backup_cut_short_leaves_only_a_partial_file(full_home: Path, tmp_path: Path):
    usb = tmp_path / "usb"

    reports: list[int] = []

    def power_cut(done: int, total: int) -> None:
        reports.append(done)
        if len(reports) == 2:  # halfway through writing: the stick goes
            raise OSError("USB stick pulled out")

    with pytest.raises(OSError):
        backup.make_backup(full_home, usb, progress=power_cut)
    assert not list(usb.glob("*.zip"))
    assert not list(full_home.glob(".backup-*"))


_KILLED_MIDWAY = """
import os, sys
from pathlib import Path
from township_app.backup import backup
def killed(done, total):
    if done:
        os._exit(9)  # the window closed, the power went: nothing runs after this
backup.make_backup(Path(sys.argv[1]), Path(sys.argv[2]), progress=killed)
"""


def _age(path: Path, seconds: float) -> None:
    for item in [path, *(path.iterdir() if path.is_dir() else [])]:
        moment = item.stat().st_mtime - seconds
        os.utime(item, (moment, moment))


def test_what_a_killed_backup_left_is_swept_by_the_next_one_but_a_backup_under_way_is_not(
    full_home: Path, tmp_path: Path
):
    usb = tmp_path / "usb"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_MIDWAY, str(full_home), str(usb)], timeout=120
    )
    assert killed.returncode == 9
    [partial] = usb.glob(".bianmin-backup-*.zip.partial")
    [scratch] = full_home.glob(".backup-*")
    assert (scratch / "township.db").is_file()  # a copy of everyone's data, left on the disk
    later = datetime.now(UTC) + timedelta(minutes=5)  # another name than the killed one's
    backup.make_backup(full_home, usb, now=later)  # too soon to tell: it may still be running
    assert partial.exists() and scratch.exists()

    _age(partial, backup.STALE_PARTIAL_SECONDS + 60)
    _age(scratch, backup.STALE_SCRATCH_SECONDS + 60)
    under_way = usb / ".bianmin-backup-20261204-101010-manual.zip.partial"
    under_way.write_bytes(b"being written")
    result = backup.make_backup(full_home, usb, now=later + timedelta(minutes=5))
    assert not partial.exists() and not scratch.exists()
    assert under_way.exists()
    assert backup.read_manifest(result.path)["files"]


def test_daily_backup_runs_once_a_day_and_keeps_seven_days_and_four_weeks(
    full_home: Path, tmp_path: Path
):
    folder = tmp_path / "daily"
    config = {"HOME": str(full_home), "BACKUP_DIR": str(folder)}
    noon = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    assert backup.run_daily_backup(config, now=noon) is not None
    assert backup.run_daily_backup(config, now=noon + timedelta(hours=3)) is None
    # Sixty days of daily backups (empty stand-ins), then one real run prunes them.
    for day in range(1, 61):
        moment = noon - timedelta(days=day)
        (folder / f"bianmin-backup-{moment:%Y%m%d-%H%M%S}-daily.zip").write_bytes(b"")
    (folder / "bianmin-backup-20260101-000000-manual.zip").write_bytes(b"")
    removed = backup.prune_backups(folder, daily=7, weekly=4)
    kept = sorted(p.name for p in folder.glob("*-daily.zip"))
    assert len(kept) <= 7 + 4 and len(removed) == 61 - len(kept)
    newest_days = {(noon - timedelta(days=d)).strftime("%Y%m%d") for d in range(7)}
    assert newest_days <= {name.split("-")[2] for name in kept}
    assert (folder / "bianmin-backup-20260101-000000-manual.zip").exists()


def test_a_daily_backup_failure_is_logged_not_raised(tmp_path: Path, caplog):
    home = tmp_path / "home"
    home.mkdir()
    (home / "township.db").write_bytes(b"not a database at all" * 100)
    assert backup.run_daily_backup({"HOME": str(home)}) is None
    assert "daily backup failed" in caplog.text


def test_the_manifest_names_every_file_with_its_hash(full_home: Path, tmp_path: Path):
    result = backup.make_backup(full_home, tmp_path / "usb", passphrase=PASSPHRASE)
    manifest = result.manifest
    assert manifest["schema_version"] == len(manifest["migrations"]) >= 5
    assert manifest["device_id"] and manifest["org_code"] and manifest["created_at"]
    with zipfile.ZipFile(result.path) as archive:
        for name, facts in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == facts["sha256"]
    assert os.stat(result.path).st_size == result.size


def test_the_worker_makes_the_daily_backup_in_a_thread_of_its_own(full_home: Path, tmp_path: Path):
    from township_app.device_sync.worker import Worker

    config = {
        "HOME": str(full_home),
        "DATABASE": str(full_home / "township.db"),
        "BACKUP_DIR": str(tmp_path / "daily"),
    }
    worker = Worker(config, ready=lambda: True)
    worker.daily_backup()
    assert worker.backup is not None
    worker.backup.join(30)
    [made] = (tmp_path / "daily").glob("bianmin-backup-*-daily.zip")
    assert backup.verify_backup(made)["cases"] == 6
    worker.daily_backup()  # the same day again: nothing new
    worker.backup.join(30)
    assert len(list((tmp_path / "daily").glob("*.zip"))) == 1
