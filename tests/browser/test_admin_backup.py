"""The backup card of the admin page in Debian's chromium: a backup to a USB stick shows a progress
bar while it is written, then its result, without the admin reloading the page."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_full_loop import log_in, people  # noqa: F401 - fixture used by name
from tests.support.township import DEMO_PASSWORDS, TownshipProcess
from township_app.backup import backup
from township_app.casework.blobs import blob_path

SCAN_MB = 256  # large enough that the page catches the backup being written


def _add_scan(home: Path, size: int) -> None:
    scan = os.urandom(size)
    path = blob_path(home / "blobs", hashlib.sha256(scan).hexdigest())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(scan)


def test_the_admin_watches_a_backup_to_a_stick_until_it_is_done(
    demo_home: Path,
    people: Callable,  # noqa: F811
    artifacts: Path,
    tmp_path: Path,
) -> None:
    _add_scan(demo_home, SCAN_MB * 1024 * 1024)
    township = TownshipProcess(demo_home).start()
    try:
        admin = log_in(people(), township.url, "admin", DEMO_PASSWORDS["admin"])
        admin.goto(township.url + "/admin/")
        card = admin.locator("#backup")
        stick = tmp_path / "usb"
        stick.mkdir()
        card.get_by_label("保存到文件夹").fill(str(stick))
        card.get_by_label("备份密码（").fill("u-disk-2026!")
        card.get_by_label("再次输入备份密码").fill("u-disk-2026!")
        card.get_by_role("button", name="立即备份").click()

        progress = card.locator("#backup-progress")
        expect(progress.locator("progress.task-bar")).to_be_visible()
        expect(progress).to_contain_text("正在")
        admin.screenshot(path=artifacts / "admin-backup-progress.png", full_page=True)
        expect(progress).to_contain_text("备份完成", timeout=60_000)
        expect(progress.locator("progress")).to_have_count(0)
        admin.screenshot(path=artifacts / "admin-backup-done.png", full_page=True)
    finally:
        township.stop()
    [made] = stick.glob("bianmin-backup-*-manual.zip")
    assert backup.attachment_count(backup.verify_backup(made)) == 1
