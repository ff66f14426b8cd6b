"""Long work started from a page runs as a task on its own thread: its end is always recorded,
also when the work fails in a way nobody foresaw, so a page never waits at 99 % for ever."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sync.errors import N_, DomainError, InvalidInput
from township_app.pages.page_tasks import DONE, FAILED, PageTask, PageTasks

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def _explain(error: Exception) -> DomainError:
    return InvalidInput(N_("没有完成：%(error)s"), error=type(error).__name__)


def _ended(tasks: PageTasks, kind: str) -> PageTask:
    deadline = time.monotonic() + 10
    while (task := tasks.latest(kind)) is not None and task.running:
        assert time.monotonic() < deadline, "the task did not end"
        time.sleep(0.01)
    assert task is not None
    return task


def _start(tasks: PageTasks, kind: str, work) -> PageTask:
    return tasks.start(kind, work, username="admin", now=NOW, busy="busy", explain=_explain)


def test_a_task_reports_progress_and_keeps_its_outcome():
    tasks = PageTasks()

    def work(progress):
        for done in range(1, 4):
            progress(done, 3)
        return "written"

    _start(tasks, "export", work)
    task = _ended(tasks, "export")
    assert (task.phase, task.outcome, task.done, task.total, task.percent) == (
        DONE, "written", 3, 3, 100,
    )  # fmt: skip


def test_a_failing_work_is_explained_for_the_page():
    tasks = PageTasks()
    refusal = InvalidInput(N_("附件文件缺失：%(sha)s…"), sha="0123456789ab")

    def work(progress):
        raise refusal

    _start(tasks, "export", work)
    task = _ended(tasks, "export")
    assert task.phase == FAILED and task.failure.message == "没有完成：InvalidInput"


def test_an_unforeseen_error_ends_the_task_failed_instead_of_running_for_ever():
    tasks = PageTasks()

    def work(progress):
        progress(1, 2)
        raise RuntimeError("a bug")

    _start(tasks, "export", work)
    task = _ended(tasks, "export")
    assert task.phase == FAILED and "RuntimeError" in task.failure.message
    _start(tasks, "export", lambda progress: "again")  # and the next one may start
    assert _ended(tasks, "export").outcome == "again"


def test_tasks_of_different_kinds_run_side_by_side():
    tasks = PageTasks()
    _start(tasks, "backup", lambda progress: time.sleep(0.2) or "backed up")
    _start(tasks, "export", lambda progress: "exported")  # not refused: another kind
    assert _ended(tasks, "export").outcome == "exported"
    assert _ended(tasks, "backup").outcome == "backed up"
