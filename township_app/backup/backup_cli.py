"""The backup commands of `bianmin-township`: backup, restore, new-identity."""

from __future__ import annotations

from pathlib import Path

import click

from sync.errors import DomainError
from township_app.backup import backup, restore
from township_app.backup.upgrade import open_migrated
from township_app.settings import from_environment


def _home(home: str | None) -> Path:
    return Path(home or str(from_environment()["HOME"]))


def _passphrase(path: str | None) -> str | None:
    if not path:
        return None
    text = Path(path).read_text(encoding="utf-8").strip()
    if len(text) < 8:
        raise click.ClickException("备份密码至少 8 个字符 (the passphrase needs 8 characters).")
    return text


@click.command("backup")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False))
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False),
    help="File with the passphrase that encrypts the device key; without it the key is left out.",
)
@click.pass_obj
def backup_command(home: str | None, target: str, passphrase_file: str | None) -> None:
    """Write a backup (database, scans, encrypted key, manifest) into a folder, e.g. a USB stick."""
    path = _home(home)
    if not (path / backup.DATABASE).exists():
        raise click.ClickException(f"{path} 中没有数据库，无可备份。")
    try:
        result = backup.make_backup(path, Path(target), passphrase=_passphrase(passphrase_file))
    except (OSError, DomainError) as error:
        raise click.ClickException(f"备份失败：{error}") from error
    manifest = result.manifest
    click.echo(
        f"已备份到 {result.path}（{result.size // 1024} KB；办件 {manifest['cases']} 件，"
        f"事件 {manifest['events']} 条，附件 {backup.attachment_count(manifest)} 个）"
    )
    if not manifest["key_included"]:
        click.echo("注意：备份中没有设备密钥（未提供密码）。", err=True)


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False),
    help="File with the backup's passphrase: restores the device key too.",
)
@click.option(
    "--other-device", is_flag=True, help="Accept a backup made on another PC (replaces this PC's)."
)
@click.pass_obj
def restore_command(
    home: str | None, source: str, passphrase_file: str | None, other_device: bool
) -> None:
    """Check a backup, keep the current data aside, and put the backup in place."""
    path = _home(home)
    try:
        result = restore.restore_backup(
            path,
            Path(source),
            passphrase=_passphrase(passphrase_file),
            other_device=other_device,
        )
    except DomainError as error:
        raise click.ClickException(f"未恢复，数据未改动：{error}") from error
    manifest = result.manifest
    click.echo(
        f"已恢复 {manifest['created_at']} 的备份：办件 {manifest['cases']} 件，"
        f"事件 {manifest['events']} 条，新增附件 {result.blobs_added} 个。"
    )
    if result.aside:
        click.echo(f"恢复前的数据已保留在 {result.aside}")
    if manifest.get("key_included") and not result.key_restored:
        click.echo("注意：备份中的设备密钥未恢复（未提供密码），本机沿用现有密钥。", err=True)
    click.echo("如本机已注册到中心：下次同步前先向中心核对上报进度，核对前不上报。")


@click.command("new-identity")
@click.option("--yes", is_flag=True, help="Confirm: this PC becomes a new device to enroll.")
@click.pass_obj
def new_identity(home: str | None, yes: bool) -> None:
    """Make this PC a new device (after restoring an old backup), to be enrolled again."""
    if not yes:
        raise click.UsageError("本操作会让本机成为新设备，需重新注册。确认请加 --yes。")
    path = _home(home)
    store = open_migrated(path / backup.DATABASE)
    try:
        device = restore.start_new_identity(store, path)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    finally:
        store.close()
    click.echo(
        f"本机已成为新设备 {device['device_id']}（代码 {device['device_code']}）。"
        "请向中心管理员申请注册码，再运行 bianmin-township enroll。"
    )


def register(group: click.Group) -> None:
    """Add the backup commands to the `bianmin-township` group."""
    for command in (backup_command, restore_command, new_identity):
        group.add_command(command)
