"""The shared export (staff_pages.exports): typed cells, the header block, masking whatever the
column, no formula from text, CSV with a byte-order mark."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from flask import Flask
from flask_babel import Babel

from staff_pages.exports import (
    ID_NUMBER,
    NUMBER,
    PERCENT,
    PHONE,
    Column,
    ExportHeader,
    ExportTable,
    to_csv,
    to_xlsx,
)

TABLE = ExportTable(
    "测试表",
    (
        Column("姓名"),
        Column("证件号码", ID_NUMBER),
        Column("电话", PHONE),
        Column("件数", NUMBER),
        Column("满意率", PERCENT),
    ),
    [
        ("张三", "11010519491231002X", "13800138000", 12, 0.875),
        ('=HYPERLINK("http://x")', "", "", 0, None),
    ],
)
HEADER = ExportHeader(unit="解甲庄街道", user="张建国（shenhe）", at="2026-12-07 16:00", filters="")


@pytest.fixture(autouse=True)
def context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def test_the_workbook_has_the_header_block_typed_cells_and_a_frozen_heading() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(TABLE, HEADER))).active
    assert [sheet.cell(row=n, column=1).value for n in range(1, 7)] == [
        "测试表",
        "导出单位：解甲庄街道",
        "导出人：张建国（shenhe）",
        "导出时间：2026-12-07 16:00",
        "筛选条件：无",
        "共 2 行；身份证号码和电话号码已遮盖。",
    ]
    assert [c.value for c in sheet[8]] == ["姓名", "证件号码", "电话", "件数", "满意率"]
    assert sheet.freeze_panes == "A9"
    first = [c.value for c in sheet[9]]
    assert first == ["张三", "110***********002X", "138****8000", 12, 0.875]
    assert sheet["E9"].number_format == "0.0%"
    assert sheet["E10"].value == "—"
    # Text that looks like a formula stays text: nothing runs when the file is opened.
    assert sheet["A10"].data_type == "s" and sheet["A10"].value.startswith("=HYPERLINK")
    assert sheet.column_dimensions["B"].width >= 18


def test_a_title_excel_would_refuse_as_a_sheet_name_still_exports() -> None:
    table = ExportTable("统计 2026/01 [全部]: 单位*?" + "长" * 40, TABLE.columns, TABLE.rows)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(table, HEADER)))
    assert book.active.title == "统计 2026_01 _全部__ 单位__" + "长" * 10  # 31 characters
    assert book.active["A1"].value == table.title


def test_the_csv_has_a_byte_order_mark_and_parses_back() -> None:
    raw = to_csv(TABLE, HEADER)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["测试表"] and rows[6] == []
    assert rows[7] == ["姓名", "证件号码", "电话", "件数", "满意率"]
    assert rows[8] == ["张三", "110***********002X", "138****8000", "12", "87.5%"]
    # A formula-looking text gets a leading quote, as spreadsheets expect.
    assert rows[9][0].startswith("'=HYPERLINK") and rows[9][4] == "—"
