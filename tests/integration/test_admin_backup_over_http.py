"""Backup to a chosen folder (a USB stick) from the admin page, over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.support.township import Browserless, TownshipProcess
from township_app.backup import backup


@pytest.fixture
def admin(township: TownshipProcess) -> Browserless:
    session = Browserless(township.url)
    session.login("admin")
    return session


def _until_ended(admin: Browserless, timeout: float = 60.0) -> str:
    """Ask for the progress as the page does, every second (here faster), until the backup ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fragment = admin.get("/admin/backup/progress")
        assert fragment.status_code == 200
        if "hx-trigger" not in fragment.text:  # the page stops asking once the backup has ended
            return fragment.text
        assert "正在" in fragment.text
        time.sleep(0.1)
    raise AssertionError("the backup did not end")


def test_the_admin_backs_up_to_a_folder_and_sees_the_result(admin: Browserless, tmp_path: Path):
    usb = tmp_path / "usb"
    usb.mkdir()
    answer = admin.post(
        "/admin/backup",
        {"folder": str(usb), "passphrase": "u-disk-2026!", "passphrase2": "u-disk-2026!"},
    )
    # The answer is the admin page with the backup under way (or, on a small PC, already done).
    assert answer.status_code == 200 and 'id="backup-progress"' in answer.text
    box = answer.text[answer.text.index('id="backup-progress"') :][:600]
    assert "正在" in box or "备份完成" in box, box
    ended = _until_ended(admin)
    assert "备份完成" in ended
    [made] = usb.glob("bianmin-backup-*-manual.zip")
    assert str(made) in ended
    manifest = backup.verify_backup(made)
    assert manifest["cases"] == 0 and not manifest["key_included"]  # demo PC: no key yet
    assert "本机还没有设备密钥" in ended
    page = admin.get("/admin/").text
    assert ">backup<" in page  # in the audit trail
    assert "备份完成" in page  # and the result stays on the page
    made.unlink()  # the stick is taken away: the result is still shown, as it was when written
    again = admin.get("/admin/")
    assert again.status_code == 200 and str(made) in again.text


def test_a_backup_that_fails_says_why_on_the_page(admin: Browserless, tmp_path: Path):
    stick = tmp_path / "usb"
    stick.mkdir()
    # The stick is there, but the folder named is a file on it: the backup starts and then fails.
    (stick / "backups").write_text("not a folder")
    answer = admin.post("/admin/backup", {"folder": str(stick / "backups")})
    assert answer.status_code == 200
    ended = _until_ended(admin)
    assert "备份失败，数据未受影响" in ended and "error-message" in ended
    assert not list(tmp_path.rglob("*.zip")) and not list(tmp_path.rglob("*.partial"))


def test_the_progress_of_no_backup_is_an_empty_box(admin: Browserless):
    answer = admin.get("/admin/backup/progress")
    assert answer.status_code == 200
    assert 'id="backup-progress"' in answer.text and "hx-trigger" not in answer.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"folder": "relative/path"}, "完整路径"),
        ({"folder": "/no/such/stick/bianmin"}, "请插好 U 盘"),
        ({"folder": "/" + "长" * 3000 + "/bianmin"}, "请插好 U 盘"),  # too long a name to look up
        ({"passphrase": "short", "passphrase2": "short"}, "至少 8 个字符"),
        ({"passphrase": "long-enough-1", "passphrase2": "long-enough-2"}, "不一致"),
    ],
)
def test_a_bad_backup_form_says_why_and_writes_nothing(
    admin: Browserless, tmp_path: Path, form: dict, message: str
):
    answer = admin.post("/admin/backup", {"folder": str(tmp_path / "usb"), **form})
    assert answer.status_code == 422 and message in answer.text
    assert not list(tmp_path.rglob("*.zip"))


def test_the_backup_form_needs_the_csrf_token_and_an_admin(
    township: TownshipProcess, tmp_path: Path
):
    clerk = Browserless(township.url)
    clerk.login("chuangkou")
    refused = clerk.post("/admin/backup", {"folder": str(tmp_path)})
    assert refused.status_code == 403
    bare = requests.post(township.url + "/admin/backup", data={"folder": str(tmp_path)}, timeout=10)
    assert bare.status_code == 400  # no CSRF token
    assert not list(tmp_path.rglob("*.zip"))
