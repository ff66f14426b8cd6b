"""`bianmin-township hall-cert | hall-fingerprint | set-window`: set up the hall server and its
windows from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from sync.errors import DomainError
from sync.events import utc_now
from township_app.settings import from_environment


def _home(home: str | None) -> Path:
    path = Path(home or str(from_environment()["HOME"]))
    path.mkdir(parents=True, exist_ok=True)
    return path


def register(main: click.Group) -> None:
    """Add the hall server's commands to the CLI group."""

    @main.command("hall-cert")
    @click.option(
        "--name",
        "names",
        multiple=True,
        required=True,
        help="A name or LAN address the windows use to reach the hall server (repeat).",
    )
    @click.option("--force", is_flag=True, help="Make a new certificate (every window re-pins).")
    @click.pass_obj
    def hall_cert(home: str | None, names: tuple[str, ...], force: bool) -> None:
        """Make the hall server's HTTPS certificate and print its SHA-256 fingerprint."""
        from township_app.hall.certificate import make_certificate

        try:
            fingerprint = make_certificate(_home(home), list(names), utc_now(), force=force)
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        click.echo("大厅服务器证书已生成。请把下面的指纹抄给各窗口电脑（设置 HALL_FINGERPRINT）：")
        click.echo(f"SHA-256 {fingerprint}")

    @main.command("hall-fingerprint")
    @click.pass_obj
    def hall_fingerprint(home: str | None) -> None:
        """Print the SHA-256 fingerprint of the hall server's certificate (for IT staff)."""
        from township_app.hall.certificate import certificate_names, fingerprint

        try:
            value = fingerprint(_home(home))
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"SHA-256 {value}")
        click.echo("证书名称：" + "、".join(certificate_names(_home(home))))

    @main.command("set-window")
    @click.argument("username")
    @click.option("--window", "window_number", required=True, help="Window number (窗口号).")
    @click.option("--department", default="", help="Department (部门).")
    @click.pass_obj
    def set_window(home: str | None, username: str, window_number: str, department: str) -> None:
        """Set the hall window and department a staff member serves at."""
        from township_app import staff_windows
        from township_app.backup.upgrade import open_migrated

        store = open_migrated(_home(home) / "township.db")
        try:
            user = store.user_by_username(username.strip().lower())
            if user is None:
                raise click.ClickException(f"没有账号 {username}。")
            staff_windows.set_window(store, user["id"], window_number, department, "cli", utc_now())
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        finally:
            store.close()
        click.echo(f"{user['username']}：{window_number} 号窗口 {department}".rstrip())
