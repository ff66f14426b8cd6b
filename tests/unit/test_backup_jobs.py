"""A backup started from the admin page runs as a page task: one at a time, with its progress in
bytes and its end (made or failed) kept for the page."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import render_template, session

from sync.errors import InvalidInput
from township_app import create_app
from township_app.backup import backup, backup_jobs
from township_app.casework.blobs import blob_path
from township_app.pages.page_tasks import DONE, FAILED, PageTask, PageTasks

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def _ended(tasks: PageTasks, timeout: float = 30.0) -> PageTask:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = tasks.latest(backup_jobs.KIND)
        assert task is not None
        if not task.running:
            return task
        time.sleep(0.02)
    raise AssertionError("the backup did not end")


@pytest.fixture
def home(demo_home: Path) -> Path:
    # A 16 MB scan, so that a backup takes long enough to be caught while it is being written.
    scan = os.urandom(16 * 1024 * 1024)
    path = blob_path(demo_home / "blobs", hashlib.sha256(scan).hexdigest())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(scan)
    return demo_home


def _start(tasks: PageTasks, home: Path, folder: Path) -> PageTask:
    work = backup_jobs.backup_work(
        home, home / backup.DATABASE, folder, None, username="admin", now=NOW
    )
    return tasks.start(
        backup_jobs.KIND,
        work,
        username="admin",
        now=NOW,
        busy=backup_jobs.BUSY,
        explain=backup_jobs.explain_failure,
    )


def test_a_backup_runs_to_the_end_and_keeps_its_result_and_full_progress(
    home: Path, tmp_path: Path
):
    tasks = PageTasks()
    _start(tasks, home, tmp_path / "usb")
    task = _ended(tasks)
    assert task.phase == DONE and task.outcome.path.is_file()
    assert task.outcome.size == task.outcome.path.stat().st_size
    assert task.total > 16 * 1024 * 1024 and task.done == task.total and task.percent == 100
    assert backup.attachment_count(task.outcome.manifest) == 1


def test_a_second_backup_is_refused_while_the_first_is_being_written(home: Path, tmp_path: Path):
    tasks = PageTasks()
    first = _start(tasks, home, tmp_path / "one")
    # Hold the task's lock: the backup thread stops at its first progress report, mid-write.
    with first._lock:
        with pytest.raises(InvalidInput, match="上一次备份还在进行中"):
            _start(tasks, home, tmp_path / "two")
    assert _ended(tasks).phase == DONE
    assert not (tmp_path / "two").exists()
    _start(tasks, home, tmp_path / "two")
    assert _ended(tasks).phase == DONE and list((tmp_path / "two").glob("*.zip"))


def test_a_backup_that_cannot_write_ends_failed_with_the_reason(home: Path, tmp_path: Path):
    blocker = tmp_path / "usb"
    blocker.write_text("a file where the folder should be")
    tasks = PageTasks()
    _start(tasks, home, blocker / "backups")
    task = _ended(tasks)
    assert task.phase == FAILED and task.outcome is None
    assert task.failure is not None and "备份失败，数据未受影响" in task.failure.message
    assert not list(tmp_path.rglob("*.zip"))


def test_what_the_page_sees_of_a_task_does_not_move_while_it_is_shown(home: Path, tmp_path: Path):
    tasks = PageTasks()
    _start(tasks, home, tmp_path / "usb")
    seen = tasks.latest(backup_jobs.KIND)
    ended = _ended(tasks)
    assert seen is not None and seen.running and seen.outcome is None  # as when the page looked
    assert ended.phase == DONE


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "已完成 50%（5.0 / 10.0 MB）"), ("en", "50% done (5.0 / 10.0 MB)")],
)
def test_the_page_shows_a_backup_being_written_as_a_bar_and_a_percentage(
    demo_home: Path, lang: str, expected: str
):
    app = create_app({"HOME": str(demo_home), "TESTING": True, "WTF_CSRF_ENABLED": False})
    task = PageTask(backup_jobs.KIND, "admin", "2026-12-04T02:00:00Z")
    task.advance(5 * 1024 * 1024, 10 * 1024 * 1024)
    with app.test_request_context("/admin/backup/progress"):
        session["lang"] = lang
        html = render_template(
            "township/admin/_backup_progress.html", backup_job=task, backup_message=""
        )
    assert expected in html
    assert f'max="{10 * 1024 * 1024}" value="{5 * 1024 * 1024}"' in html
    assert 'hx-trigger="every 1s"' in html  # it keeps asking while the backup runs
