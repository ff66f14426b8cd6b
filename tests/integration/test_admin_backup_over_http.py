"""Backup to a chosen folder (a USB stick) from the admin page, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.support.township import Browserless, TownshipProcess
from township_app import backup


@pytest.fixture
def admin(township: TownshipProcess) -> Browserless:
    session = Browserless(township.url)
    session.login("admin")
    return session


def test_the_admin_backs_up_to_a_folder_and_sees_the_result(admin: Browserless, tmp_path: Path):
    usb = tmp_path / "usb"
    usb.mkdir()
    answer = admin.post(
        "/admin/backup",
        {"folder": str(usb), "passphrase": "u-disk-2026!", "passphrase2": "u-disk-2026!"},
    )
    assert answer.status_code == 200 and "备份完成" in answer.text
    [made] = usb.glob("bianmin-backup-*-manual.zip")
    assert str(made) in answer.text
    manifest = backup.verify_backup(made)
    assert manifest["cases"] == 0 and not manifest["key_included"]  # demo PC: no key yet
    assert "本机还没有设备密钥" in answer.text
    assert ">backup<" in admin.get("/admin/").text  # in the audit trail


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"folder": "relative/path"}, "完整路径"),
        ({"folder": "/no/such/stick/bianmin"}, "请插好 U 盘"),
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
