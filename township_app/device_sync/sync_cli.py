"""The sync commands of `bianmin-township`: enroll, sync, export, import, rotate-key, resign."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from sync.errors import DomainError
from sync.events import utc_now
from township_app.backup.upgrade import open_migrated
from township_app.device_sync import bundles_up, device_keys, devices
from township_app.device_sync.worker import ROUND_LOCK, sync_round
from township_app.settings import from_environment
from township_app.stores.store import Store
from township_app.usb import usb_exchange


def _config(home: str | None) -> dict[str, Any]:
    values = from_environment()
    if home:
        values["HOME"] = home
    path = Path(str(values["HOME"]))
    path.mkdir(parents=True, exist_ok=True)
    values.update(DATABASE=str(path / "township.db"), BLOB_DIR=str(path / "blobs"))
    return values


COMMAND_LINE = "命令行"  # who the audit trail names for work done from a terminal


@contextmanager
def _opened(home: str | None) -> Iterator[tuple[Store, Path, dict[str, Any]]]:
    config = _config(home)
    try:
        store = open_migrated(config["DATABASE"])
    except DomainError as error:  # a failed upgrade, already undone: say so, no traceback
        raise click.ClickException(str(error)) from error
    try:
        yield store, Path(str(config["HOME"])), config
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    finally:
        store.close()


def _echo_enrollment(state: dict[str, Any]) -> None:
    click.echo(f"已注册到中心：{state['server_url'] or '（文件方式）'}")
    click.echo(f"  中心密钥指纹 {state['central_fingerprint']}")
    click.echo(f"  本机密钥指纹 {state['fingerprint']}")


@click.command()
@click.option("--server", default=None, help="Central server URL (default: BIANMIN_CENTRAL_URL).")
@click.option("--code", default="", help="One-time enrollment code from the central admin.")
@click.option("--fingerprint", default="", help="Central key fingerprint XXXX-XXXX-XXXX-XXXX.")
@click.option("--label", default="", help="A name for this PC shown at central.")
@click.option("--request-file", type=click.Path(dir_okay=False), help="Write the request here.")
@click.option(
    "--response-file", type=click.Path(exists=True, dir_okay=False), help="Complete from an answer."
)
@click.pass_obj
def enroll(
    home: str | None,
    server: str | None,
    code: str,
    fingerprint: str,
    label: str,
    request_file: str | None,
    response_file: str | None,
) -> None:
    """Enroll this PC with the central server (over the network, or by file)."""
    with _opened(home) as (store, path, config):
        server = server or str(config["CENTRAL_URL"] or "")
        if response_file:
            answer = json.loads(Path(response_file).read_text(encoding="utf-8"))
            state = devices.complete_enrollment(
                store, path, answer, server_url=server, fingerprint=fingerprint
            )
            _echo_enrollment(state)
        elif request_file:
            Path(request_file).write_bytes(devices.enrollment_request(store, path, code, label))
            click.echo(f"注册申请已写入 {request_file}：请交给中心管理员（enroll-file）。")
        else:
            if not server or not code:
                raise click.UsageError("需要 --server（或 BIANMIN_CENTRAL_URL）和 --code。")
            state = devices.enroll(
                store, path, server_url=server, code=code, label=label, fingerprint=fingerprint
            )
            _echo_enrollment(state)


@click.command("sync")
@click.pass_obj
def sync_now(home: str | None) -> None:
    """Run one sync round now and print what happened."""
    with _opened(home) as (store, _path, config), ROUND_LOCK:
        report = sync_round(store, config)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise SystemExit(1)


@click.command("export")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False))
@click.option(
    "--for-village",
    default="",
    help="At a township: put only this village's receipts on the stick (default: every village).",
)
@click.pass_obj
def export(home: str | None, target: str, for_village: str) -> None:
    """Write every bundle not yet acknowledged, and its attachments, to a folder (USB stick)."""
    with _opened(home) as (store, path, config):
        # The sync page's own path: the same folder checks, the stick's troubles in words, the
        # round lock and the audit line.
        result = usb_exchange.export_to_stick(
            store,
            path,
            Path(config["BLOB_DIR"]),
            folder=target,
            for_village=for_village,
            username=COMMAND_LINE,
            now=utc_now(),
        )
    click.echo(usb_exchange.export_message(result))


@click.command("import")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.pass_obj
def import_(home: str | None, source: str) -> None:
    """Take central's receipts and feed entries for this PC from a folder (USB stick); on a PC
    not enrolled yet, central's enrollment answer on it first."""
    with _opened(home) as (store, path, config):
        enrolled = devices.enroll_from_stick(store, path, Path(source))
        if enrolled is not None:
            _echo_enrollment(enrolled)
        result = usb_exchange.import_from_stick(
            store,
            Path(config["BLOB_DIR"]),
            folder=source,
            username=COMMAND_LINE,
            now=utc_now(),
        )
    for line in usb_exchange.import_messages(result):
        click.echo(line)


@click.command("rotate-key")
@click.pass_obj
def rotate_key(home: str | None) -> None:
    """Replace this PC's key with a new one, signed by the old and the new key."""
    with _opened(home) as (store, path, config):
        new_id = devices.rotate_key(store, path, str(config["CENTRAL_URL"] or ""))
    click.echo(f"密钥已更换，新密钥指纹 {device_keys.fingerprint(new_id)}")


@click.command()
@click.pass_obj
def resign(home: str | None) -> None:
    """Re-sign refused bundles with the current key (same sequences) so they can be resent."""
    with _opened(home) as (store, path, _config_values):
        key = device_keys.load_key(path)
        if key is None:
            raise click.ClickException("本机尚未在中心注册。")
        count = bundles_up.resign_refused(store, key, now=utc_now())
    click.echo(f"已重新签名 {count} 个案卷包，将在下次同步时重新发送。")


def register(group: click.Group) -> None:
    """Add the sync commands to the `bianmin-township` group."""
    for command in (enroll, sync_now, export, import_, rotate_key, resign):
        group.add_command(command)
