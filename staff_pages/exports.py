"""Export a page's table as a real Excel workbook (.xlsx) or as CSV, for both apps.

A page builds one ``ExportTable`` (title, typed columns, rows) from the same rows it renders; this
module writes it with a header block that says who exported what and when (unit, user, time,
filters), ID numbers and phones masked whatever the role (an export leaves the system), numbers as
numbers and rates in percent format. The app's view records the export in its audit trail
(``export_response`` is given the function that does it), so no export goes unrecorded.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, request, url_for
from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from sync.errors import N_
from sync.identity_documents import mask_document_number
from sync.ids import mask_phone

TEXT, NUMBER, PERCENT, ID_NUMBER, PHONE = "text", "number", "percent", "id_number", "phone"
MONEY = "money"  # integer fen, written as yuan with two decimals
XLSX, CSV = "xlsx", "csv"
FORMATS = (XLSX, CSV)
NONE = "—"  # what the page shows where a figure has no base
_MIME = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CSV: "text/csv; charset=utf-8",
}
# A text cell that begins so is a formula to a spreadsheet (CSV injection): CSV gets a quote first.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BAD_FORMAT = N_("导出格式须为 xlsx 或 csv。")


@dataclass(frozen=True)
class Column:
    """A column of an exported table: its heading and what its cells hold."""

    label: str
    kind: str = TEXT


@dataclass(frozen=True)
class ExportTable:
    """A table as a page shows it: title, columns and rows (values, not formatted text)."""

    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class ExportHeader:
    """Who exported what and when: the lines above the table."""

    unit: str
    user: str
    at: str  # shown as is: the app formats it (Beijing time)
    filters: str


def masked(value: Any, kind: str) -> Any:
    """Return a cell's value as it may leave the system: ID numbers and phones masked."""
    if kind == ID_NUMBER:
        return mask_document_number(str(value or ""))
    if kind == PHONE:
        return mask_phone(str(value or "")) if value else ""
    return value


def shown(value: Any, kind: str) -> str:
    """Return a cell as the page and the CSV show it (a rate as a percentage, one decimal)."""
    value = masked(value, kind)
    if value is None:
        return NONE
    if kind == PERCENT:
        return f"{float(value) * 100:.1f}%"
    if kind == MONEY and isinstance(value, int):
        return f"{value // 100}.{value % 100:02d}"
    if kind == NUMBER and isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def header_lines(table: ExportTable, header: ExportHeader) -> list[str]:
    """Return the lines above the table: the title, unit, user, time, filters and row count."""
    return [
        table.title,
        gettext("导出单位：%(unit)s", unit=header.unit),
        gettext("导出人：%(user)s", user=header.user),
        gettext("导出时间：%(at)s", at=header.at),
        gettext("筛选条件：%(filters)s", filters=header.filters or gettext("无")),
        gettext("共 %(count)s 行；身份证号码和电话号码已遮盖。", count=len(table.rows)),
    ]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_xlsx(table: ExportTable, header: ExportHeader) -> bytes:
    """Return the table as an .xlsx workbook: header block, frozen headings, typed cells."""
    book = Workbook()
    sheet = book.active
    # Excel refuses a sheet name over 31 characters or with any of []:*?/\ in it.
    sheet.title = re.sub(r"[\[\]:*?/\\]", "_", table.title)[:31] or "Sheet1"
    lines = header_lines(table, header)
    for number, line in enumerate(lines, start=1):
        cell = sheet.cell(row=number, column=1, value=line)
        cell.data_type = "s"
        if number == 1:
            cell.font = Font(bold=True, size=14)
    first = len(lines) + 2  # a blank row between the header block and the headings
    widths = [_width(column.label) for column in table.columns]
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=first, column=index, value=column.label)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
    for offset, row in enumerate(table.rows, start=1):
        for index, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = sheet.cell(row=first + offset, column=index)
            value = masked(value, column.kind)
            if value is None:
                cell.value = NONE
            elif column.kind == MONEY and isinstance(value, int):
                cell.value = value / 100  # yuan: exact to the fen in a double
                cell.number_format = "0.00"
            elif column.kind in (NUMBER, PERCENT) and isinstance(value, int | float):
                cell.value = value
                cell.number_format = "0.0%" if column.kind == PERCENT else "General"
            else:
                cell.value = str(value)
                cell.data_type = "s"  # never a formula, whatever the text begins with
            widths[index - 1] = max(widths[index - 1], _width(shown(value, column.kind)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width + 2))
    sheet.freeze_panes = sheet.cell(row=first + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(table: ExportTable, header: ExportHeader) -> bytes:
    """Return the table as CSV in UTF-8 with a byte-order mark (so Excel reads the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in header_lines(table, header):
        writer.writerow([_safe(line)])
    writer.writerow([])
    writer.writerow([_safe(column.label) for column in table.columns])
    for row in table.rows:
        writer.writerow(
            [
                _safe(shown(value, column.kind))
                if column.kind == TEXT
                else shown(value, column.kind)
                for column, value in zip(table.columns, row, strict=True)
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_url(fmt: str, extra: Mapping[str, str] | None = None) -> str:
    """Return this page's URL with its own arguments (and ``extra``) asking for an export."""
    args = {**(request.view_args or {}), **request.args.to_dict(), **(extra or {}), "export": fmt}
    return url_for(str(request.endpoint), **args)


def init_app(app: Flask) -> None:
    """Give the app's templates the export links and the cells' shown text."""
    app.jinja_env.globals.update(export_url=export_url, shown=shown)


def export_response(
    table: ExportTable,
    header: ExportHeader,
    fmt: str,
    filename: str,
    record: Callable[[str], None],
) -> Response:
    """Return the table as a download in ``fmt``, after ``record`` wrote the audit entry (its
    argument says what was exported: title, format, filters, row count)."""
    body = to_xlsx(table, header) if fmt == XLSX else to_csv(table, header)
    record(f"{table.title} | {fmt} | {header.filters or '-'} | {len(table.rows)} rows")
    name = f"{filename}.{fmt}"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    response = Response(body, content_type=_MIME[fmt])
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["Cache-Control"] = "no-store"  # personal data, even masked, is not cached
    return response
