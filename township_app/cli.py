"""`bianmin-township ...`: set up this PC, load demo data, add users, serve the app."""

from __future__ import annotations

import logging
import signal
import sys
import uuid
from pathlib import Path

import click

from staff_pages.version import app_version
from sync.case_numbers import device_code_from_id
from sync.errors import DomainError
from sync.events import format_time, utc_now
from sync.ids import check_division_code
from township_app import accounts, demo
from township_app.backup import backup_cli
from township_app.backup.upgrade import open_migrated
from township_app.device_sync import sync_cli
from township_app.hall import hall_cli
from township_app.settings import from_environment
from township_app.stores.store import Store


def _home(home: str | None) -> Path:
    path = Path(home or str(from_environment()["HOME"]))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _store(home: str | None) -> Store:
    try:
        return open_migrated(_home(home) / "township.db")
    except DomainError as error:  # a failed upgrade, already undone: say so, no traceback
        raise click.ClickException(str(error)) from error


@click.group()
@click.version_option(app_version(), "--version", "-V", prog_name="bianmin-township",
                      message="%(prog)s %(version)s")  # fmt: skip
@click.option(
    "--home", envvar="BIANMIN_HOME", help="Data folder (default: BIANMIN_HOME or the platform's)."
)
@click.pass_context
def main(ctx: click.Context, home: str | None) -> None:
    """Bianmin township app (便民 乡镇便民服务中心)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = home


@main.command()
@click.option("--org", "org_code", required=True, help="Division code of this PC's unit.")
@click.option(
    "--device-code", default="", help="2-4 letters/digits; default: derived from the device id."
)
@click.option("--admin", "admin_username", default="", help="Also create this admin account.")
@click.option("--admin-name", default="", help="The admin's name shown on pages (with --admin).")
@click.option(
    "--admin-password-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Read the admin's password from this file (default: asked twice).",
)
@click.pass_obj
def init(
    home: str | None,
    org_code: str,
    device_code: str,
    admin_username: str,
    admin_name: str,
    admin_password_file: str | None,
) -> None:
    """Give this PC its identity (device id and code, org unit), and optionally its admin."""
    password = ""
    if admin_username:
        if not admin_name.strip():
            raise click.UsageError("--admin 需要同时给出 --admin-name（管理员姓名）。")
        if admin_password_file:
            text = Path(admin_password_file).read_text(encoding="utf-8").splitlines()
            password = text[0] if text else ""
        else:
            password = click.prompt("管理员密码", hide_input=True, confirmation_prompt=True)
        try:
            accounts.check_password_rules(password)
        except DomainError as error:
            raise click.ClickException(str(error)) from error
    store = _store(home)
    try:
        if store.device():
            raise click.ClickException("本机已经初始化过了 (this PC is already initialised).")
        if store.org_unit(org_code) is None:
            if store.org_names():
                raise click.ClickException(f"组织机构中没有 {org_code}，请检查单位代码。")
            # A new PC has no org tree yet: it comes down in the feed after enrollment. Until
            # then its own unit stands alone, named by its code, so that the admin can log in.
            try:
                org_code = check_division_code(org_code)
            except DomainError as error:
                raise click.ClickException(str(error)) from error
            if len(org_code) == 6:
                raise click.ClickException("本机所属单位应为乡镇（9 位）或村（12 位）代码。")
            store.add_own_unit_until_the_feed(
                org_code, "village" if len(org_code) == 12 else "township"
            )
        device_id = str(uuid.uuid4())
        store.create_device(
            device_id,
            device_code.upper() or device_code_from_id(device_id),
            org_code,
            format_time(utc_now()),
        )
        click.echo(f"本机已初始化：设备 {device_id}，单位 {org_code}")
        if admin_username:
            try:
                accounts.create_user(
                    store,
                    username=admin_username,
                    display_name=admin_name,
                    role="admin",
                    org_code=org_code,
                    password=password,
                    now=utc_now(),
                )
            except DomainError as error:
                raise click.ClickException(
                    f"{error}（本机已初始化；请改正后用 create-user 建立管理员账号）"
                ) from error
            click.echo(f"已创建管理员账号 {admin_username.strip().lower()}，现在就可以登录。")
    finally:
        store.close()


@main.command("load-demo")
@click.option("--cases", default=40, show_default=True, help="How many demo cases to create.")
@click.pass_obj
def load_demo(home: str | None, cases: int) -> None:
    """Load the demo org tree, catalogue, users and cases (marked as demo)."""
    store = _store(home)
    try:
        summary = demo.load(store, now=utc_now(), cases=cases)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    finally:
        store.close()
    click.echo(summary)


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="Name shown on pages and receipts.")
@click.option("--role", type=click.Choice(["clerk", "reviewer", "agent", "admin"]), required=True)
@click.option("--org", "org_code", required=True, help="Division code of the user's unit.")
@click.password_option()
@click.pass_obj
def create_user(
    home: str | None, username: str, display_name: str, role: str, org_code: str, password: str
) -> None:
    """Create a staff account."""
    store = _store(home)
    try:
        accounts.create_user(
            store,
            username=username,
            display_name=display_name,
            role=role,
            org_code=org_code,
            password=password,
            now=utc_now(),
        )
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    finally:
        store.close()
    click.echo(f"已创建账号 {username}")


@main.command("unlock-user")
@click.argument("username")
@click.pass_obj
def unlock_user(home: str | None, username: str) -> None:
    """Unlock a staff account locked by failed log-ins (and the PCs that failed as it)."""
    store = _store(home)
    try:
        user = store.user_by_username(username.strip().lower())
        if user is None:
            raise click.ClickException(f"没有账号 {username}。")
        accounts.unlock_user(store, user["id"], "cli", utc_now())
    finally:
        store.close()
    click.echo(f"已解锁账号 {user['username']}")


@main.command()
@click.option("--host", default=None, help="Listen address (default: BIANMIN_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: BIANMIN_PORT; 0 = any free).")
@click.option("--port-file", type=click.Path(), default=None, help="Write the real port here.")
@click.option("--sync/--no-sync", default=True, help="Run the background sync worker (default on).")
@click.option(
    "--hall", is_flag=True, help="Serve the hall's LAN over HTTPS as the hall server (大厅服务器)."
)
@click.option("--address", default=None, help="--hall: LAN address (default: HALL_ADDRESS).")
@click.option(
    "--hall-port", type=int, default=None, help="--hall: HTTPS port (default: HALL_PORT, 8443)."
)
@click.option(
    "--allow", multiple=True, help="--hall: a network allowed in, e.g. 192.168.1.0/24 (repeat)."
)
@click.pass_obj
def serve(
    home: str | None,
    host: str | None,
    port: int | None,
    port_file: str | None,
    sync: bool,
    hall: bool,
    address: str | None,
    hall_port: int | None,
    allow: tuple[str, ...],
) -> None:
    """Serve the township app with waitress (loopback only unless told otherwise); with --hall,
    serve the hall's LAN over HTTPS from the allowed networks (the app stays on loopback)."""
    from waitress.server import create_server

    from township_app import create_app

    config: dict[str, object] = {}
    if home:
        config["HOME"] = home
    app = create_app(config)
    front = None
    if hall:
        from township_app.hall.hall_server import hall_front

        if host or port:
            raise click.ClickException(
                "--hall 时应用只在本机回环地址上运行，请不要同时给 --host/--port。"
            )
        host, port = "127.0.0.1", 0
    worker = None
    if sync and not app.config["READ_ONLY"]:
        from township_app import start_worker

        worker = start_worker(app)
    host = host or str(app.config["HOST"])
    app.config["HOST"] = host  # the bound address is a name the pages answer to (Host header)
    port = app.config["PORT"] if port is None else port
    server = create_server(app, host=host, port=port, threads=8 if hall else 4)
    # waitress reports the port it really bound (a string for port 0).
    real_port = int(server.effective_port)  # type: ignore[union-attr]
    if hall:
        try:
            front, wsgi = hall_front(app, real_port, address, hall_port, list(allow))
        except DomainError as error:
            server.close()
            if worker is not None:
                worker.stop()
            raise click.ClickException(str(error)) from error
        server.application = wsgi
        real_port = front.port
        click.echo(f"便民大厅服务器: https://{front.host}:{front.port}/", err=True)
    else:
        click.echo(f"便民 township app: http://{host}:{real_port}/", err=True)
    if port_file:
        Path(port_file).write_text(str(real_port))
    if app.config["READ_ONLY"]:
        click.echo("数据库检查未通过：只读模式 (database failed its check: read-only)", err=True)
    # SIGTERM ends the server like Ctrl-C, so the worker stops cleanly (a kill -9 loses nothing
    # either: every step of sync is committed in SQLite).
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if front is not None:
            front.stop()
        if worker is not None:
            worker.stop()
        server.close()


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@main.command()
@click.pass_obj
def check(home: str | None) -> None:
    """Check the database's integrity and the case log's hash chain."""
    store = _store(home)
    try:
        verdict = store.quick_check()
        click.echo(f"quick_check: {verdict}")
        device = store.device()
        if device:
            from sync.events import verify_chain

            try:
                verify_chain(store.writer_events(device["device_id"]))
                click.echo(f"case log: {store.event_count()} events, hash chain intact")
            except DomainError as error:
                click.echo(f"case log: BROKEN: {error}")
                sys.exit(1)
        if verdict != "ok":
            sys.exit(1)
    finally:
        store.close()


@main.command()
@click.option("--ready-file", type=click.Path(dir_okay=False), default=None, hidden=True)
@click.option("--browser", is_flag=True, help="Use the system browser even if a webview exists.")
@click.option("--start-path", default="/", help="Page of the app to open first.")
@click.pass_obj
def desktop(home: str | None, ready_file: str | None, browser: bool, start_path: str) -> None:
    """Open the app in a window of its own (as the bianmin-desktop icon does)."""
    from township_app.desktop.desktop import run_desktop

    sys.exit(run_desktop(home, ready_file, browser, start_path))


sync_cli.register(main)
hall_cli.register(main)
backup_cli.register(main)

if __name__ == "__main__":
    main()
