"""A backup started from the admin page runs on its own thread: one at a time, with its progress
and its end (made or failed) kept for the page."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import render_template, session

from sync.errors import InvalidInput
from township_app import backup, create_app
from township_app.backup_jobs import DONE, FAILED, BackupJob, BackupRunner
from township_app.blobs import blob_path

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def _ended(job: BackupJob, timeout: float = 30.0) -> BackupJob:
    deadline = time.monotonic() + timeout
    while job.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not job.running, "the backup did not end"
    return job


@pytest.fixture
def runner(demo_home: Path) -> BackupRunner:
    # A 16 MB scan, so that a backup takes long enough to be caught while it is being written.
    scan = os.urandom(16 * 1024 * 1024)
    path = blob_path(demo_home / "blobs", hashlib.sha256(scan).hexdigest())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(scan)
    return BackupRunner(demo_home, demo_home / backup.DATABASE)


def test_a_backup_runs_to_the_end_and_keeps_its_result_and_full_progress(
    runner: BackupRunner, tmp_path: Path
):
    job = _ended(runner.start(tmp_path / "usb", None, username="admin", now=NOW))
    assert job.phase == DONE and job.result is not None and job.result.path.is_file()
    assert job.total > 16 * 1024 * 1024 and job.done == job.total and job.percent == 100
    assert backup.attachment_count(job.result.manifest) == 1
    assert runner.latest is job


def test_a_second_backup_is_refused_while_the_first_is_being_written(
    runner: BackupRunner, tmp_path: Path
):
    first = runner.start(tmp_path / "one", None, username="admin", now=NOW)
    # Hold the job's lock: the backup thread stops at its first progress report, mid-write.
    with first._lock:
        with pytest.raises(InvalidInput, match="上一次备份还在进行中"):
            runner.start(tmp_path / "two", None, username="admin", now=NOW)
    assert _ended(first).phase == DONE
    assert not (tmp_path / "two").exists()
    second = _ended(runner.start(tmp_path / "two", None, username="admin", now=NOW))
    assert second.phase == DONE and runner.latest is second


def test_a_backup_that_cannot_write_ends_failed_with_the_reason(
    runner: BackupRunner, tmp_path: Path
):
    blocker = tmp_path / "usb"
    blocker.write_text("a file where the folder should be")
    job = _ended(runner.start(blocker / "backups", None, username="admin", now=NOW))
    assert job.phase == FAILED and job.result is None and job.error
    assert not list(tmp_path.rglob("*.zip"))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "已完成 50%（5.0 / 10.0 MB）"), ("en", "50% done (5.0 / 10.0 MB)")],
)
def test_the_page_shows_a_backup_being_written_as_a_bar_and_a_percentage(
    demo_home: Path, lang: str, expected: str
):
    app = create_app({"HOME": str(demo_home), "TESTING": True, "WTF_CSRF_ENABLED": False})
    job = BackupJob(demo_home / "usb", "admin", "2026-12-04T02:00:00Z", with_key=False)
    job.advance(5 * 1024 * 1024, 10 * 1024 * 1024)
    with app.test_request_context("/admin/backup/progress"):
        session["lang"] = lang
        html = render_template(
            "township/admin/_backup_progress.html", backup_job=job, backup_message=""
        )
    assert expected in html
    assert f'max="{10 * 1024 * 1024}" value="{5 * 1024 * 1024}"' in html
    assert 'hx-trigger="every 1s"' in html  # it keeps asking while the backup runs


def test_what_the_page_sees_of_a_job_does_not_move_while_it_is_shown(
    runner: BackupRunner, tmp_path: Path
):
    job = runner.start(tmp_path / "usb", None, username="admin", now=NOW)
    seen = job.seen()
    _ended(job)
    assert seen.running and seen.result is None  # as it was when the page looked
    assert job.phase == DONE
