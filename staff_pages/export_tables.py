"""The exported tables of the lists (好差评统计 at both ends; central's 差评整改, warnings, cards and
inbox): the same columns and labels as the pages, built from the rows the pages read, with
applicants' ID numbers and phones as typed columns so that ``staff_pages.exports`` masks them for
every role."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask_babel import gettext

from staff_pages.display import clock_text, local_time
from staff_pages.exports import ID_NUMBER, NUMBER, PERCENT, PHONE, Column, ExportTable
from sync import fold
from sync.applicant_rules import applicant_number
from sync.labels import LIGHT_LABELS
from sync.supervision_rules import LEVEL_LABELS, STAGE_LABELS

EXPORT_MAX = 20_000  # rows in one export: a county's year of 差评 or open cases fits


def figures_table(title: str, heading: str, rows: Sequence[Mapping[str, Any]]) -> ExportTable:
    """Return the 好差评 figures as the page shows them."""
    columns = (
        Column(heading),
        Column(gettext("办结件"), NUMBER),
        Column(gettext("评价数"), NUMBER),
        Column(gettext("评价率"), PERCENT),
        Column(gettext("满意率"), PERCENT),
        Column(gettext("差评数"), NUMBER),
        Column(gettext("超期未反馈"), NUMBER),
        Column(gettext("整改按时率"), PERCENT),
        Column(gettext("回访率"), PERCENT),
    )
    return ExportTable(
        title,
        columns,
        [
            (
                r["name"], r["completed"], r["ratings"], r["rating_rate"], r["satisfaction_rate"],
                r["bad"], r["open_overdue"], r["on_time_rate"], r["callback_rate"],
            )
            for r in rows
        ],
    )  # fmt: skip


def tasks_table(
    title: str,
    rows: Sequence[Mapping[str, Any]],
    unit_name: Callable[[str], str],
    level_name: Callable[[str], str],
    step_name: Callable[[str], str],
    stage_name: Callable[[str], str],
) -> ExportTable:
    """Return the 差评整改 list as the page shows it, with whether each task is overdue."""
    columns = tuple(
        Column(gettext(label))
        for label in (
            "办件编号", "事项", "整改单位", "评价环节", "评价", "当前环节", "差评日期",
            "反馈期限", "是否超期",
        )
    )  # fmt: skip
    return ExportTable(
        title,
        columns,
        [
            (
                r["case_number"], r["item_name"], unit_name(r["unit"]), step_name(r["step"]),
                level_name(r["level"]), stage_name(r["stage"]), r["opened_on"], r["due_on"],
                gettext("已超期") if r["overdue"] else "",
            )
            for r in rows
        ],
    )  # fmt: skip


def warnings_table(
    title: str, rows: Sequence[Mapping[str, Any]], unit_name: Callable[[str], str]
) -> ExportTable:
    """Return the warnings in force as the page lists them (by unit)."""
    columns = tuple(
        Column(gettext(label))
        for label in ("单位", "级别", "办件编号", "环节", "责任人", "到期日", "情况", "发现时间")
    )
    return ExportTable(
        title,
        columns,
        [
            (
                unit_name(w["unit"]), gettext(LEVEL_LABELS[w["level"]]), w["case_number"],
                gettext(STAGE_LABELS.get(w["stage"], w["stage"])),
                w["person"] or gettext("（单位）"), w["due_on"] or "—", w["message"],
                local_time(w["raised_at"]),
            )
            for w in rows
        ],
    )  # fmt: skip


def cards_table(
    title: str,
    cards: Sequence[Mapping[str, Any]],
    unit_name: Callable[[str], str],
    labels: Mapping[str, Mapping[str, str]],
) -> ExportTable:
    """Return the yellow and red cards with their state and trail, one card a row."""
    columns = (
        Column(gettext("编号"), NUMBER),
        *(
            Column(gettext(label))
            for label in (
                "黄牌或红牌", "单位", "责任人", "办件编号", "环节", "出示人", "出示时间",
                "状态", "理由", "处理经过",
            )
        ),
    )  # fmt: skip

    def trail(card: Mapping[str, Any]) -> str:
        return "；".join(
            f"{gettext(labels['action'].get(s['action'], s['action']))} {s['actor']} "
            f"{local_time(s['at'])} {s['reason']}"
            for s in card["trail"]
        )

    return ExportTable(
        title,
        columns,
        [
            (
                c["id"], gettext(labels["colour"][c["colour"]]), unit_name(c["unit"]),
                c["person"] or "", c["case_number"] or "",
                gettext(STAGE_LABELS.get(c["stage"], c["stage"])) if c["stage"] else "",
                gettext("预警规则自动出示") if c["issued_by"] == "rule" else c["issued_by"],
                local_time(c["issued_at"]), gettext(labels["state"][c["state"]]), c["reason"],
                trail(c),
            )
            for c in cards
        ],
    )  # fmt: skip


def inbox_table(
    title: str, rows: Sequence[Mapping[str, Any]], unit_name: Callable[[str], str]
) -> ExportTable:
    """Return the inbox's cases with the applicant's ID number and phone (masked on export)."""
    columns = (
        Column(gettext("办件编号")),
        Column(gettext("事项")),
        Column(gettext("申请人")),
        Column(gettext("证件号码"), ID_NUMBER),
        Column(gettext("联系电话"), PHONE),
        Column(gettext("乡镇（街道）")),
        Column(gettext("状态")),
        Column(gettext("受理日期")),
        Column(gettext("剩余时限")),
    )

    def limit(row: Mapping[str, Any]) -> str:
        status = row.get("deadline")
        if not status:
            return ""
        return f"{gettext(LIGHT_LABELS.get(status.light, status.light))} {clock_text(status)}"

    out = []
    for r in rows:
        applicant = r["state_obj"].applicant or {}
        out.append(
            (
                r["case_number"], r["item_name"], r["applicant_name"],
                applicant_number(applicant), applicant.get("phone", ""),
                unit_name(r["org_code"]), gettext(fold.STATE_LABELS.get(r["state"], r["state"])),
                r["accepted_on"] or "", limit(r),
            )
        )  # fmt: skip
    return ExportTable(title, columns, out)
