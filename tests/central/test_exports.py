"""Exports of central's lists over real HTTP: every list answers .xlsx and CSV holding its rows,
applicants' ID numbers and phones masked for every role that may export, each export audited."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from central_api.stores import schema as t
from central_api.stores.figure_store import add_figures
from central_api.stores.store import CentralStore
from tests.support.central import CentralProcess, FakeDevice, issue_code
from tests.support.reviewer import DEMO_PASSWORDS, PageSession, push_forwarded

FULL_ID, FULL_PHONE = "11010519491231002X", "13800138000"  # tests.unit.casefactory's applicant


def _login(central: CentralProcess, username: str) -> PageSession:
    session = PageSession(central.url)
    assert session.login(username, DEMO_PASSWORDS[username]).status_code == 303
    return session


def _sheet(answer) -> list[list[object]]:
    assert answer.status_code == 200, answer.text[:500]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _exports(store: CentralStore) -> list[dict]:
    with store.reading() as c:
        query = select(t.audit_log).where(t.audit_log.c.action == "export")
        return [dict(r) for r in c.execute(query.order_by(t.audit_log.c.id)).mappings()]


@pytest.fixture(scope="module")
def forwarded(central: CentralProcess, central_home: Path, database_url: str) -> str:
    """A case forwarded to 莱山区 with the casefactory applicant's ID number and phone."""
    device = FakeDevice(central.url, device_code="EXP1")
    device.enroll(issue_code(central_home, database_url, "370613004", 72))
    return push_forwarded(device)[0].payload["case_number"]


@pytest.mark.parametrize("username", ["xianshen", "jiancha"])
def test_the_inbox_export_masks_id_numbers_and_phones_for_every_role(
    central: CentralProcess, central_store: CentralStore, forwarded: str, username: str
) -> None:
    session = _login(central, username)
    before = len(_exports(central_store))
    for fmt in ("xlsx", "csv"):
        answer = session.get("/review/?export=" + fmt)
        assert answer.status_code == 200
        text = answer.content.decode("utf-8-sig") if fmt == "csv" else ""
        rows = _sheet(answer) if fmt == "xlsx" else list(csv.reader(io.StringIO(text)))
        flat = [str(cell) for row in rows for cell in row]
        assert FULL_ID not in "".join(flat) and FULL_PHONE not in "".join(flat)
        case = next(row for row in rows if row and row[0] == forwarded)
        assert list(case[3:5]) == ["110***********002X", "138****8000"]
    entries = _exports(central_store)[before:]
    assert [e["username"] for e in entries] == [username, username]
    assert "xlsx" in entries[0]["detail"] and "csv" in entries[1]["detail"]


def test_the_rectification_list_export_keeps_its_filters_in_the_header(
    central: CentralProcess,
) -> None:
    rows = _sheet(_login(central, "jiancha").get("/rectifications/?overdue=1&export=xlsx"))
    assert rows[0][0] == "差评整改"
    assert rows[4][0] == "筛选条件：只看超期：是"
    assert rows[7][:3] == ["办件编号", "事项", "整改单位"]


def test_the_figures_export_holds_the_figures_page_cell_by_cell(
    central: CentralProcess, central_store: CentralStore
) -> None:
    counts = {"completed": 8, "rated": 6, "ratings": 7, "satisfied": 5, "bad": 1, "tasks": 1}
    with central_store.transaction() as c:
        add_figures(c, {("unit", "370613004", "2025-08", m): v for m, v in counts.items()})
        add_figures(c, {("unit", "370613001", "2025-08", "completed"): 3})
    session = _login(central, "jiancha")
    page = session.get("/figures/?from=2025-08&to=2025-08").text
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    shown = [
        [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]  # fmt: skip
    answer = session.get("/figures/?from=2025-08&to=2025-08&export=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = list(book.iter_rows(min_row=9))
    assert len(rows) == len(shown) == 2
    for cells, texts in zip(rows, shown, strict=True):
        got = [
            f"{cell.value * 100:.1f}%" if cell.number_format == "0.0%" else str(cell.value)
            for cell in cells
        ]
        assert got == texts
    assert book["D9"].number_format == "0.0%" and isinstance(book["B9"].value, int)


@pytest.mark.parametrize(
    ("path", "username", "title", "first_heading"),
    [
        ("/supervision/warnings/", "jiancha", "电子监察预警", "单位"),
        ("/supervision/cards/", "xianshen", "黄牌与红牌", "编号"),
        ("/figures/?dimension=item", "admin", "好差评统计（", "事项"),
        ("/assessment/", "admin", "窗口单位考核排名", "名次"),
    ],
)
def test_each_list_exports_with_who_and_when(
    central: CentralProcess, path: str, username: str, title: str, first_heading: str
) -> None:
    joiner = "&" if "?" in path else "?"
    rows = _sheet(_login(central, username).get(f"{path}{joiner}export=xlsx"))
    assert title in rows[0][0]
    assert rows[2][0].startswith("导出人：") and username in rows[2][0]
    assert rows[3][0].startswith("导出时间：") and rows[3][0].endswith("（北京时间）")
    assert rows[7][0] == first_heading
    answer = _login(central, username).get(f"{path}{joiner}export=csv")
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbf")


def test_a_page_that_may_not_be_seen_may_not_be_exported(central: CentralProcess) -> None:
    assert _login(central, "xianshen").get("/figures/?export=xlsx").status_code == 403
    assert _login(central, "xianshen").get("/supervision/warnings/?export=csv").status_code == 403


def test_an_unknown_export_format_shows_the_page(central: CentralProcess) -> None:
    answer = _login(central, "jiancha").get("/figures/?export=pdf")
    assert answer.status_code == 200 and "text/html" in answer.headers["Content-Type"]
