"""First start of an offline PC: `init --admin` makes the admin account at once, before any
enrollment or feed, and the admin page shows which build runs here."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from staff_pages.version import app_version
from township_app.cli import main

PASSWORD = "Admin-pass-2026"


def _init(home: Path, *args: str, password: str = PASSWORD):
    secret = home.parent / "admin-pass.txt"
    secret.write_text(password + "\n", encoding="utf-8")
    return CliRunner().invoke(
        main,
        ["--home", str(home), "init", "--org", "370613004", *args,
         "--admin-password-file", str(secret)],
    )  # fmt: skip


def test_init_with_admin_makes_an_account_that_logs_in_on_a_new_pc(tmp_path: Path):
    from township_app import create_app

    home = tmp_path / "home"
    done = _init(home, "--admin", "Zhao.Lei", "--admin-name", "赵磊")
    assert done.exit_code == 0, done.output
    assert "已创建管理员账号 zhao.lei，现在就可以登录。" in done.output

    app = create_app({"HOME": str(home), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    login = client.post("/auth/login", data={"username": "zhao.lei", "password": PASSWORD})
    assert login.status_code == 303
    page = client.get("/admin/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "赵磊" in text
    assert f'<dd class="mono" id="app-version">{app_version()}</dd>' in text


def test_a_weak_admin_password_changes_nothing(tmp_path: Path):
    home = tmp_path / "home"
    done = _init(home, "--admin", "zhao", "--admin-name", "赵磊", password="123")
    assert done.exit_code == 1 and "Traceback" not in done.output
    # Nothing was initialised: the same command with a good password still works.
    done = _init(home, "--admin", "zhao", "--admin-name", "赵磊")
    assert done.exit_code == 0, done.output


def test_admin_without_a_name_is_a_usage_error(tmp_path: Path):
    done = _init(tmp_path / "home", "--admin", "zhao")
    assert done.exit_code == 2 and "--admin-name" in done.output


def test_init_without_admin_still_works_as_before(tmp_path: Path):
    done = _init(tmp_path / "home")
    assert done.exit_code == 0 and "已创建管理员账号" not in done.output
