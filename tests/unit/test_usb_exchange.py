"""The USB exchange's checks of the typed folder, and a stick that fails on the way: a message in
Chinese, the field named, nothing recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync import usb
from sync.errors import InvalidInput
from sync.events import utc_now
from township_app.usb import sneakernet, usb_exchange


def _audit_count(store) -> int:
    return store.db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]


@pytest.mark.parametrize(
    ("text", "must_exist", "message"),
    [
        ("", False, "完整路径"),
        ("usb/relative", False, "完整路径"),
        ("/no/such/stick/bianmin", False, "请插好 U 盘"),
        ("/no/such/stick", True, "请插好 U 盘"),
        ("/" + "长" * 3000, True, "请插好 U 盘"),  # longer than the file system allows a name
        ("/" + "长" * 3000 + "/bianmin", False, "请插好 U 盘"),
        ("/tmp/u\x00sb", True, "请插好 U 盘"),
    ],
)
def test_a_folder_that_is_not_there_is_refused_with_what_to_do(text, must_exist, message):
    with pytest.raises(InvalidInput) as refused:
        usb.stick_folder(text, must_exist=must_exist)
    assert message in refused.value.message and refused.value.field == "folder"


def test_a_new_folder_on_a_plugged_in_stick_is_fine(tmp_path: Path):
    assert usb.stick_folder(str(tmp_path / "new"), must_exist=False) == tmp_path / "new"


def test_a_stick_that_fills_up_says_so_and_records_nothing(store, demo_home, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sneakernet, "export_to", full)
    before = _audit_count(store)
    with pytest.raises(InvalidInput) as refused:
        usb_exchange.export_to_stick(
            store,
            demo_home,
            demo_home / "blobs",
            folder=str(tmp_path),
            for_village="",
            username="admin",
            now=utc_now(),
        )
    assert "写入 U 盘失败" in refused.value.message % refused.value.params
    assert "No space left" in refused.value.params["error"]
    assert _audit_count(store) == before


def test_a_stick_pulled_out_while_importing_says_so(store, demo_home, tmp_path, monkeypatch):
    def pulled(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sneakernet, "import_from", pulled)
    with pytest.raises(InvalidInput) as refused:
        usb_exchange.import_from_stick(
            store, demo_home / "blobs", folder=str(tmp_path), username="admin", now=utc_now()
        )
    assert "读取 U 盘失败" in refused.value.message


def test_an_export_that_stops_is_explained_with_its_own_refusal_or_what_went_wrong():
    refusal = InvalidInput("写入 U 盘失败：%(error)s。", error="No space left on device")
    assert usb_exchange.explain_export_failure(refusal) is refusal
    unforeseen = usb_exchange.explain_export_failure(RuntimeError("a bug"))
    assert unforeseen.message == "导出没有完成：RuntimeError。请再导出一次。"


def test_an_import_that_stops_is_explained_with_its_own_refusal_or_what_went_wrong():
    refusal = InvalidInput("读取 U 盘失败：%(error)s。", error="Input/output error")
    assert usb_exchange.explain_import_failure(refusal) is refusal
    unforeseen = usb_exchange.explain_import_failure(RuntimeError("a bug"))
    assert unforeseen.message == "导入没有完成：RuntimeError。请再导入一次。"


def test_an_import_from_a_folder_that_is_not_there_is_refused_before_any_task_starts(tmp_path):
    with pytest.raises(InvalidInput):
        usb_exchange.import_work(
            tmp_path / "township.db",
            tmp_path / "blobs",
            folder=str(tmp_path / "no-stick"),
            username="admin",
            now=utc_now(),
        )
