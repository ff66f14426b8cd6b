"""USB exchange from the sync page: the checks of the folder a clerk types, the export (as a page task,
with its progress) and import of ``sneakernet`` under the round lock, and the result in words (the
command line prints the same)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext

from sync import usb
from sync.errors import N_, DomainError, InvalidInput
from sync.events import format_time
from township_app.device_sync.worker import ROUND_LOCK
from township_app.pages.page_tasks import Progress
from township_app.stores.store import Store
from township_app.usb import sneakernet

log = logging.getLogger(__name__)

EXPORT = "usb_export"  # the page tasks' kinds
EXPORT_BUSY = N_("上一次导出还在进行中，请等它完成后再导出。")
IMPORT = "usb_import"
IMPORT_BUSY = N_("上一次导入还在进行中，请等它完成后再导入。")


@contextmanager
def _stick_trouble(message: str, doing: str) -> Iterator[None]:
    """Turn a stick that fails on the way (pulled out, full, write-protected) into the clerk's
    message; what was written before stays valid (files are written whole, then renamed)."""
    try:
        yield
    except OSError as error:
        log.warning("USB %s failed: %s", doing, type(error).__name__)
        raise InvalidInput(message, field="folder", error=str(error)[:200]) from None


def export_message(result: sneakernet.ExportResult) -> str:
    """Say what an export wrote."""
    counts = {"b": result.bundles, "f": result.blobs, "u": result.unchanged, "n": result.receipts}
    if result.receipts:
        return (
            gettext(
                "已写入 %(b)s 个案卷包、%(f)s 个附件（%(u)s 个案卷包已在盘上）；"
                "村代办点回执 %(n)s 份。"
            )
            % counts
        )
    return gettext("已写入 %(b)s 个案卷包、%(f)s 个附件（%(u)s 个案卷包已在盘上）。") % counts


def import_messages(result: sneakernet.ImportResult) -> list[str]:
    """Say what an import did: receipts and feed, then the village bundles relayed (if any)."""
    lines = [
        gettext("回执：接受 %(a)s，无效 %(r)s；下发内容：应用 %(p)s，已有 %(s)s，有问题 %(q)s。")
        % {
            "a": result.receipts,
            "r": result.receipts_refused,
            "p": result.applied,
            "s": result.skipped,
            "q": result.problems,
        }
    ]
    relayed = result.relayed
    if relayed is not None and (relayed.bundles or relayed.unchanged or relayed.refused):
        lines.append(
            gettext("村代办点案卷包：转交 %(b)s（应用 %(e)s 条记录），已有 %(u)s，拒收 %(r)s。")
            % {
                "b": relayed.bundles,
                "e": relayed.events,
                "u": relayed.unchanged,
                "r": len(relayed.refused),
            }
        )
        lines += [gettext("拒收：%(m)s") % {"m": message} for message in relayed.refused]
    return lines


def export_to_stick(
    store: Store,
    home: Path,
    blob_root: Path,
    *,
    folder: str,
    for_village: str,
    username: str,
    now: datetime,
    progress: Progress | None = None,
) -> sneakernet.ExportResult:
    """Write this PC's waiting bundles (and a township's village receipts) to the typed folder."""
    target = usb.stick_folder(folder, must_exist=False)
    trouble = N_("写入 U 盘失败：%(error)s。请检查 U 盘是否写保护或空间不足，然后再导出一次。")
    with _stick_trouble(trouble, "export"), ROUND_LOCK:
        target.mkdir(exist_ok=True)
        result = sneakernet.export_to(
            store,
            target,
            blob_root,
            home,
            now=now,
            for_village=for_village.strip(),
            progress=progress,
        )
    store.audit(format_time(now), username, "usb_export", f"{target} {result.bundles}")
    return result


def export_work(
    database: Path, home: Path, blob_root: Path, **choices: Any
) -> Callable[[Progress], sneakernet.ExportResult]:
    """Return the work of one export, for ``PageTasks.start``: ``export_to_stick`` with the page's
    ``choices`` (folder, for_village, username, now), on its thread, with a store of its own."""
    usb.stick_folder(str(choices["folder"]), must_exist=False)  # a wrong path: refused at once

    def work(progress: Progress) -> sneakernet.ExportResult:
        store = Store.open(database)
        try:
            return export_to_stick(store, home, blob_root, progress=progress, **choices)
        finally:
            store.close()

    return work


def _explainer(unfinished: str) -> Callable[[Exception], DomainError]:
    """Return how a page task says why it stopped: its own refusal, or ``unfinished``."""

    def explain(error: Exception) -> DomainError:
        if isinstance(error, DomainError):
            return error
        return InvalidInput(unfinished, error=type(error).__name__)

    return explain


# What was written before an export stopped stays valid on the stick.
explain_export_failure = _explainer(N_("导出没有完成：%(error)s。请再导出一次。"))


def import_from_stick(
    store: Store,
    blob_root: Path,
    *,
    folder: str,
    username: str,
    now: datetime,
    progress: Progress | None = None,
) -> sneakernet.ImportResult:
    """Take central's receipts and feed (and, at a township, the village bundles) from the folder."""
    source = usb.stick_folder(folder, must_exist=True)
    trouble = N_("读取 U 盘失败：%(error)s。请重新插好 U 盘后再导入一次。")
    with _stick_trouble(trouble, "import"), ROUND_LOCK:
        result = sneakernet.import_from(
            store, source, now=now, blob_root=blob_root, progress=progress
        )
    store.audit(format_time(now), username, "usb_import", str(source))
    return result


def import_work(
    database: Path, blob_root: Path, **choices: Any
) -> Callable[[Progress], sneakernet.ImportResult]:
    """Return the work of one import, for ``PageTasks.start``: ``import_from_stick`` with the page's
    ``choices`` (folder, username, now), on its thread, with a store of its own."""
    usb.stick_folder(str(choices["folder"]), must_exist=True)  # no such folder: refused at once

    def work(progress: Progress) -> sneakernet.ImportResult:
        store = Store.open(database)
        try:
            return import_from_stick(store, blob_root, progress=progress, **choices)
        finally:
            store.close()

    return work


# What an import took before it stopped stays taken: importing again is harmless.
explain_import_failure = _explainer(N_("导入没有完成：%(error)s。请再导入一次。"))
