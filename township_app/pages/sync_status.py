"""The sync page: enrollment, queue, refusals, feed problems, clock warnings, and "sync now"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from staff_pages.display import translate_error
from staff_pages.htmx import is_htmx, render_page
from staff_pages.navigation import to_login
from staff_pages.sessions import mark_passive
from sync import usb
from sync.errors import DomainError, InvalidInput
from sync.events import format_time, parse_time, utc_now
from township_app.casework import agency
from township_app.db import get_store, now
from township_app.device_sync import bundles_up, device_keys, devices
from township_app.device_sync.worker import ROUND_LOCK, sync_round
from township_app.pages.auth import login_required
from township_app.pages.page_tasks import PageTask, Progress, page_tasks
from township_app.stores.store import Store
from township_app.usb import usb_exchange

bp = Blueprint("sync", __name__, url_prefix="/sync")


def overview(store: Store, tolerance_seconds: int) -> dict[str, Any]:
    """Collect what the sync page shows."""
    sync = store.sync
    relay = store.relay
    state = devices.enrollment(store)
    villages = relay.relay_villages()
    warnings = []
    if state["newest_issued_at"]:
        floor = parse_time(state["newest_issued_at"])
        if utc_now() < floor - timedelta(seconds=tolerance_seconds):
            warnings.append(
                gettext("本机时钟比中心服务器签发的最新时间（%(t)s）还早，请校准电脑时间。")
                % {"t": floor.strftime("%Y-%m-%d %H:%M UTC")}
            )
    if abs(state["clock_offset"]) > 120:
        warnings.append(
            gettext("本机时钟与中心服务器相差 %(s)s 秒，请校准电脑时间。")
            % {"s": state["clock_offset"]}
        )
    return {
        "state": state,
        "counts": sync.count_bundles(),
        "refused": sync.refused_bundles(),
        "rejected": sync.rejected_events(),
        "problems": sync.feed_problems(),
        "applied": sync.count_applied(),
        "clock_warnings": warnings,
        "village_pc": agency.is_village_pc(store),
        "relay": {
            "villages": villages,
            "names": {code: (store.org_unit(code) or {}).get("name", code) for code in villages},
            "counts": relay.counts(),
            "refused": relay.refused_bundles(),
        },
    }


def _page(error: str = "", report: Any = None, status: int = 200) -> Any:
    return render_page(
        "township/sync/index.html",
        "township/sync/_panel.html",
        status=status,
        error=error,
        report=report,
        form=request.form,
        **overview(get_store(), int(current_app.config["CLOCK_TOLERANCE_SECONDS"])),
        **_usb_context(),
        central_url=current_app.config.get("CENTRAL_URL") or "",
    )


@bp.route("/status")
def status() -> Any:
    """Show the header's sync status again (htmx asks every few seconds); it is not activity."""
    mark_passive()  # the session's idle time keeps running
    if g.get("user") is None:
        return to_login(expired=1)
    return render_template("township/_sync_status.html")


@bp.route("/")
@login_required()
def index() -> Any:
    """Show the state of sync with the central server."""
    return _page()


@bp.route("/now", methods=("POST",))
@login_required()
def sync_now() -> Any:
    """Run one sync round now."""
    with ROUND_LOCK:
        report = sync_round(get_store(), current_app.config)
    if is_htmx():
        return _page(report=report)
    if report.ok:
        flash(gettext("同步完成。"), "success")
    elif report.enrolled:
        flash(gettext("同步未完成，详见同步页面。"), "error")
    return redirect(url_for("sync.index"), code=303)


@bp.route("/enroll", methods=("POST",))
@login_required("admin")
def enroll() -> Any:
    """Enroll this PC with the central server using a one-time code."""
    form = request.form
    try:
        devices.enroll(
            get_store(),
            Path(current_app.instance_path),
            server_url=form.get("server", ""),
            code=form.get("code", ""),
            label=form.get("label", ""),
            fingerprint=form.get("fingerprint", ""),
        )
    except (InvalidInput, DomainError) as refusal:
        return _page(translate_error(refusal), status=422)
    get_store().audit(format_time(now()), g.user["username"], "enroll", form.get("server", ""))
    flash(gettext("本机已在中心注册。"), "success")
    return redirect(url_for("sync.index"), code=303)


@bp.route("/resign", methods=("POST",))
@login_required("admin")
def resign() -> Any:
    """Re-sign the refused bundles with the current key so that they are sent again."""
    key = device_keys.load_key(Path(current_app.instance_path))
    count = bundles_up.resign_refused(get_store(), key, now=now()) if key else 0
    get_store().audit(format_time(now()), g.user["username"], "resign_bundles", str(count))
    flash(gettext("已重新签名 %(n)s 个案卷包，将在下次同步时重新发送。") % {"n": count}, "success")
    return redirect(url_for("sync.index"), code=303)


@bp.route("/problems/acknowledge", methods=("POST",))
@login_required("admin")
def acknowledge_problems() -> Any:
    """Record that the admin has seen the feed entries that were not applied."""
    store = get_store()
    at = format_time(now())
    with store.write():
        count = store.sync.acknowledge_feed_problems(g.user["username"], at)
        store.audit(at, g.user["username"], "acknowledge_feed_problems", str(count))
    flash(gettext("已确认 %(n)s 条未应用的下发内容。") % {"n": count}, "success")
    return redirect(url_for("sync.index"), code=303)


@bp.route("/usb/export", methods=("POST",))
@login_required()
def usb_export() -> Any:
    """Start writing this PC's waiting bundles (and, at a township, the villages' receipts) to a
    stick; the page follows the writing."""
    form, config = request.form, current_app.config
    return _start_usb_task(
        usb_exchange.EXPORT,
        usb_exchange.EXPORT_BUSY,
        usb_exchange.explain_export_failure,
        lambda: usb_exchange.export_work(
            Path(str(config["DATABASE"])),
            Path(current_app.instance_path),
            Path(str(config["BLOB_DIR"])),
            folder=form.get("folder", ""),
            for_village=form.get("for_village", ""),
            username=g.user["username"],
            now=now(),
        ),
    )


@bp.route("/usb/import", methods=("POST",))
@login_required()
def usb_import() -> Any:
    """Start taking central's receipts and feed (and, at a township, village bundles) from a
    stick; the page follows the import."""
    config = current_app.config
    # A PC not enrolled yet: central's enrollment answer on the stick comes first (one trip).
    try:
        stick = usb.stick_folder(request.form.get("folder", ""), must_exist=True)
        enrolled = devices.enroll_from_stick(get_store(), Path(str(config["HOME"])), stick)
    except DomainError as refusal:
        return _page(translate_error(refusal), status=422)
    if enrolled is not None:
        flash(gettext("本机已以文件方式注册到中心；正在导入中心下发的内容。"))
    return _start_usb_task(
        usb_exchange.IMPORT,
        usb_exchange.IMPORT_BUSY,
        usb_exchange.explain_import_failure,
        lambda: usb_exchange.import_work(
            Path(str(config["DATABASE"])),
            Path(str(config["BLOB_DIR"])),
            folder=request.form.get("folder", ""),
            username=g.user["username"],
            now=now(),
        ),
    )


def _start_usb_task(
    kind: str,
    busy: str,
    explain: Callable[[Exception], DomainError],
    make_work: Callable[[], Callable[[Progress], Any]],
) -> Any:
    """Start one exchange with a stick as a page task; a wrong folder or one already under way is
    refused on the page at once."""
    try:
        page_tasks().start(
            kind, make_work(), username=g.user["username"], now=now(), busy=busy, explain=explain
        )
    except DomainError as refusal:
        return _page(translate_error(refusal), status=422)
    return redirect(url_for("sync.index") + "#usb", code=303)


@bp.route("/usb/progress")
@login_required()
def usb_progress() -> Any:
    """Show how far the export to a stick has got (htmx asks every second)."""
    return render_template("township/sync/_usb_progress.html", **_usb_context())


def _usb_context() -> dict[str, Any]:
    export = page_tasks().latest(usb_exchange.EXPORT)  # copies: the threads move on
    taken = page_tasks().latest(usb_exchange.IMPORT)
    return {
        "usb_task": export,
        "usb_message": _ended(export, usb_exchange.export_message),
        "usb_import_task": taken,
        "usb_import_message": _ended(
            taken, lambda outcome: " ".join(usb_exchange.import_messages(outcome))
        ),
    }


def _ended(task: PageTask | None, describe: Callable[[Any], str]) -> str:
    """Say how a task ended (nothing while it runs)."""
    if task is None or task.running:
        return ""
    return translate_error(task.failure) if task.failure is not None else describe(task.outcome)


@bp.route("/usb/import/progress")
@login_required()
def usb_import_progress() -> Any:
    """Show how far the import from a stick has got (htmx asks every second)."""
    return render_template("township/sync/_usb_import_progress.html", **_usb_context())
