"""`bianmin-township export` and `import` take the sync page's path: the same folder checks and
messages (no traceback for a folder that is not there), and an audit line naming the terminal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.township import township_cli


def test_a_stick_folder_that_is_not_there_is_explained_without_a_traceback(
    demo_home: Path,
) -> None:
    for args in (["export", "--to", "/no/such/stick/bianmin"], ["export", "--to", "stick"]):
        done = township_cli(demo_home, *args)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert "找不到文件夹" in done.stderr or "完整路径" in done.stderr


def test_an_export_from_the_terminal_is_in_the_audit_trail(demo_home: Path, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    exported = township_cli(demo_home, "export", "--to", str(stick))
    assert exported.returncode == 0, exported.stderr
    with sqlite3.connect(demo_home / "township.db") as db:
        audited = db.execute(
            "SELECT action, detail FROM audit_log WHERE username = '命令行'"
        ).fetchall()
    assert audited == [("usb_export", f"{stick} 0")]
    # Importing needs this PC enrolled (the stick's receipts are checked against its key): said
    # in words, without a traceback.
    imported = township_cli(demo_home, "import", str(stick))
    assert imported.returncode == 1 and "本机尚未在中心注册" in imported.stderr
    assert "Traceback" not in imported.stderr
