"""The green channel and fees at the window: grant the green channel, issue and print the payment
notice (缴款通知书), record the bank payment or the exemption, and the daily fee list (收费日报) for
the finance office, as a page and an Excel export."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, request
from flask_babel import gettext

from staff_pages.exports import MONEY, Column, ExportTable
from staff_pages.htmx import render_page
from sync.errors import N_, Conflict
from sync.fee_rules import STATUS_LABELS, amount_in_words, fee_status
from township_app.casework import casework, fees
from township_app.db import get_store, now, today
from township_app.pages.auth import current_actor, login_required
from township_app.pages.cases import act_on_case
from township_app.pages.exporting import export_format, send_export
from township_app.pages.notices import _paper

bp = Blueprint("fees", __name__, url_prefix="/fees")

BAD_DAY = N_("日期请按「2026-12-07」的格式填写；已显示今天的收费日报。")


@bp.route("/cases/<case_id>/green-channel", methods=("POST",))
@login_required("grant_green_channel")
def grant_green_channel(case_id: str) -> Any:
    """Put the case in the green channel with the reason given; the reviewer is its approver."""
    return act_on_case(
        case_id,
        lambda: fees.grant_green_channel(
            get_store(),
            case_id,
            reason=request.form.get("reason", ""),
            actor=current_actor(),
            now=now(),
        ),
        done=gettext("已批准绿色通道，本办件在各队列中优先显示。"),
        anchor="fee",
    )


@bp.route("/cases/<case_id>/notice", methods=("POST",))
@login_required("collect_fee")
def assess(case_id: str) -> Any:
    """Issue the payment notice with the item's fee code and amount, and go to print it."""
    return act_on_case(
        case_id,
        lambda: fees.assess_fee(get_store(), case_id, actor=current_actor(), now=now()),
        "fees.notice",
    )


@bp.route("/cases/<case_id>/notice")
@login_required()
def notice(case_id: str) -> Any:
    """Print the payment notice (缴款通知书): fee code, amount in figures and in words."""
    state = casework.visible_case(get_store(), case_id, current_actor())
    fee = state.fee or {}
    if not fee.get("notice_number"):
        raise Conflict(N_("尚未开具缴款通知书，不能打印。"))
    return _paper(
        case_id,
        "township/notices/payment.html",
        "fee_assessed",
        fee=fee,
        in_words=amount_in_words(int(fee["amount_fen"])),
    )


@bp.route("/cases/<case_id>/payment", methods=("POST",))
@login_required("collect_fee")
def payment(case_id: str) -> Any:
    """Record the bank's receipt of the fee (回单号, amount, day paid)."""
    return act_on_case(
        case_id,
        lambda: fees.record_payment(
            get_store(),
            case_id,
            receipt_number=request.form.get("receipt_number", ""),
            amount=request.form.get("amount", ""),
            paid_on=request.form.get("paid_on", ""),
            actor=current_actor(),
            now=now(),
        ),
        done=gettext("已登记银行缴款。"),
        anchor="fee",
    )


@bp.route("/cases/<case_id>/exemption", methods=("POST",))
@login_required("exempt_fee")
def exemption(case_id: str) -> Any:
    """Waive the case's fee with its basis (减免依据)."""
    return act_on_case(
        case_id,
        lambda: fees.exempt_fee(
            get_store(),
            case_id,
            basis=request.form.get("basis", ""),
            note=request.form.get("note", ""),
            actor=current_actor(),
            now=now(),
        ),
        done=gettext("已登记收费减免。"),
        anchor="fee",
    )


def _day(text: str) -> tuple[date, bool]:
    if not text:
        return today(), True
    try:
        return date.fromisoformat(text[:10]), True
    except ValueError:
        return today(), False


def by_fee_code(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group the day's payments by fee code, each with its count and total in fen."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(
            row["fee_code"], {"fee_code": row["fee_code"], "rows": [], "count": 0, "total_fen": 0}
        )
        group["rows"].append(row)
        group["count"] += 1
        group["total_fen"] += row["amount_fen"]
    return [groups[code] for code in sorted(groups)]


def fee_list_table(day: date, groups: list[dict[str, Any]], users: dict[str, str]) -> ExportTable:
    """Return the day's payments as the exported table: each fee code's rows, then its subtotal."""
    rows: list[list[Any]] = []
    for group in groups:
        for row in group["rows"]:
            rows.append(
                [
                    group["fee_code"],
                    row["case_number"],
                    row["applicant_name"],
                    row["item_name"],
                    row["notice_number"],
                    row["receipt_number"],
                    row["amount_fen"],
                    row["paid_on"],
                    users.get(row["by"], row["by"]),
                ]
            )
        subtotal = gettext("小计 %(count)s 笔", count=group["count"])
        rows.append([group["fee_code"], subtotal, "", "", "", "", group["total_fen"], "", ""])
    columns = (
        Column(gettext("收费编码")),
        Column(gettext("办件编号")),
        Column(gettext("缴款人")),
        Column(gettext("事项")),
        Column(gettext("缴款通知书编号")),
        Column(gettext("银行回单号")),
        Column(gettext("金额（元）"), MONEY),
        Column(gettext("缴款日期")),
        Column(gettext("登记人")),
    )
    title = gettext("收费日报（%(day)s）", day=day.isoformat())
    return ExportTable(title, columns, rows)


@bp.route("/daily")
@login_required("view_fee_list")
def daily() -> Any:
    """Show the fees paid on one day per fee code, and the fees waived that day (or export them)."""
    store = get_store()
    day, good = _day(request.args.get("day", ""))
    groups = by_fee_code(store.fees.payments_on(day))
    users = {u["username"]: u["display_name"] for u in store.users()}
    if fmt := export_format():
        table = fee_list_table(day, groups, users)
        filters = gettext("缴款日期：%(day)s", day=day.isoformat())
        return send_export(table, filters, f"fees-{day.isoformat()}", fmt)
    return render_page(
        "township/fees/daily.html",
        "township/fees/daily.html",
        status=200 if good else 422,
        error="" if good else gettext(BAD_DAY),
        day=day,
        groups=groups,
        total_fen=sum(g["total_fen"] for g in groups),
        total_count=sum(g["count"] for g in groups),
        exemptions=store.fees.exemptions_on(day),
        users=users,
    )


@bp.app_template_global("fee_status")
def fee_status_of(state: Any) -> str:
    """Return where a case's fee stands (none, due, paid, exempted), for the case page."""
    return fee_status(state)


@bp.app_template_global("fee_status_label")
def fee_status_label(status: str) -> str:
    """Return the label of a fee's standing, translated."""
    return gettext(STATUS_LABELS[status])
