"""`bianmin-central notify` and `bianmin-central notifications`: the residents' SMS outbox; and
`bianmin-central supervise`: supervision's warnings, notified to staff through the same sender."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

import click

from central_api import settings
from central_api.review.delivery import DeliveryLoop, deliver_due
from central_api.review.notifications import STAGE_LABELS
from central_api.review.senders import make_sender
from central_api.review.supervision import SupervisionLoop, run_supervision
from central_api.stores import public_store
from central_api.stores.store import CentralStore
from sync.ids import mask_phone

if TYPE_CHECKING:
    from central_api.cli import Context


def delivery_loop(store: CentralStore, config: Any) -> DeliveryLoop:
    """Build the delivery loop the settings describe, or stop with a clear message."""
    try:
        return DeliveryLoop.from_config(store, config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None


def supervision_loop(store: CentralStore, config: Any) -> SupervisionLoop:
    """Build the warning job's loop the settings describe, or stop with a clear message."""
    try:
        sender = make_sender(config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return SupervisionLoop(store, sender, float(config["SUPERVISE_INTERVAL_SECONDS"]))


def china_noon(day: datetime | None) -> datetime | None:
    """Return noon in China of a day given on the command line (None: now)."""
    if day is None:
        return None
    return datetime.combine(day.date(), time(4, 0), tzinfo=UTC)


@click.command()
@click.option(
    "--today",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Judge the deadlines as on this day (China), not today: a test clock.",
)
@click.pass_obj
def supervise(context: Context, today: datetime | None) -> None:
    """Run supervision's warning job once: record new warnings, issue red cards, notify staff."""
    config = settings.from_environment()
    try:
        sender = make_sender(config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    with context.opened() as store:
        run = run_supervision(store, china_noon(today), sender=sender)
    click.echo(
        f"查看办件 {run.watched} 件；预警 {run.warnings} 项，其中新增 {run.new} 项，"
        f"解除 {run.cleared} 项；自动出示红牌 {run.cards} 张；通知 {run.notified} 条"
    )


@click.command()
@click.option("--once", is_flag=True, help="Attempt the due notifications once, then stop.")
@click.pass_obj
def notify(context: Context, once: bool) -> None:
    """Send the residents' notifications (SMS) that are due, with retries."""
    config = settings.from_environment()
    with context.opened() as store:
        loop = delivery_loop(store, config)
        if once:
            counts = deliver_due(store, loop.sender, loop.policy)
            click.echo(
                f"已发送 {counts['sent']} 条，待重试 {counts['retry']} 条，失败 {counts['failed']} 条"
            )
            return
        click.echo("通知发送循环已启动（Ctrl+C 停止）", err=True)
        try:
            loop.run()
        except KeyboardInterrupt:
            loop.stop()


@click.command()
@click.option(
    "--status",
    type=click.Choice(["held", "pending", "sent", "failed"]),
    help="Only notifications in this state.",
)
@click.option("--limit", type=int, default=50, show_default=True)
@click.pass_obj
def notifications(context: Context, status: str | None, limit: int) -> None:
    """List the residents' notifications, newest first (phone numbers masked)."""
    with context.opened() as store, store.reading() as c:
        counts = public_store.notification_counts(c)
        rows = public_store.notifications(c, status=status, limit=limit)
    click.echo("  ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "没有通知")
    for n in rows:
        click.echo(
            f"{n['created_at']}  {n['case_number']}  {STAGE_LABELS.get(n['stage'], n['stage'])}  "
            f"{mask_phone(n['phone'])}  {n['status']:<7}  试 {n['attempts']} 次  "
            f"{n['sent_at'] or n['last_error'] or ''}"
        )
