"""The township's assessment and exports over real HTTP against a real township process, offline:
the unit's month scored from its own kept figures (cards and casework shown as not counted), its
staff ranked, each table exported as .xlsx (checked cell by cell against the page) and CSV, every
export in the audit trail; a clerk may open neither."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import openpyxl
import pytest

from sync.events import business_date, format_time, utc_now
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework
from township_app.casework.ratings import RatingForm, rate_case


@pytest.fixture
def hall(demo_home: Path) -> Iterator[dict]:
    """This month: three cases accepted by 王丽 and rated on acceptance, two 满意, one 非常不满意."""
    store = open_migrated(demo_home / "township.db")
    try:
        for level in ("satisfied", "satisfied", "very_dissatisfied"):
            moment = utc_now()
            case_id = register(store, item_code=PROMISED_ITEM, now=moment)
            casework.accept_case(store, case_id, CLERK, moment)
            rate_case(store, case_id, "acceptance", RatingForm(level=level), CLERK, moment)
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        yield {"url": process.url, "home": demo_home}
    finally:
        process.stop()


def logged_in(hall: dict, username: str) -> Browserless:
    session = Browserless(hall["url"])
    assert session.login(username).url.endswith("/")
    return session


def cells(html: str, section: str) -> list[list[str]]:
    part = html.split(f'id="{section}"', 1)[1]
    body = part.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]  # fmt: skip


def audit(home: Path) -> list[dict]:
    store = open_migrated(home / "township.db")
    try:
        return [e for e in store.audit_entries() if e["action"] == "export"]
    finally:
        store.close()


def test_the_reviewer_sees_the_units_points_with_the_figures_behind_them(hall) -> None:
    page = logged_in(hall, "shenhe").get("/assessment/")
    assert page.status_code == 200
    points = {row[1]: row for row in cells(page.text, "unit-points")}
    # 2 of 3 satisfied: 66.7%, between 60% (0) and 95% (12): 12 × 6.67 / 35 = 2.29.
    assert points["满意率"][3:7] == ["2.29", "2", "3", "66.7%"]
    # The 差评 is not due yet and nothing was completed: no base, full points.
    assert points["评价率"][3] == "8" and "无基数" in points["评价率"][8]
    # Cards live at central; casework figures are not kept yet: not counted here.
    assert points["红牌扣分"][3] == "—" and "尚未统计" in points["红牌扣分"][8]
    assert "红黄牌由中心出示和撤销" in page.text
    staff = cells(page.text, "staff-ranking")
    assert [row[1] for row in staff] == ["王丽"]
    person = logged_in(hall, "shenhe").get("/assessment/staff/chuangkou")
    assert person.status_code == 200 and "满意率" in person.text
    assert logged_in(hall, "shenhe").get("/assessment/staff/nobody").status_code == 404


def test_the_export_holds_the_page_table_and_is_audited(hall) -> None:
    reviewer = logged_in(hall, "shenhe")
    month = business_date(format_time(utc_now())).isoformat()[:7]
    shown = cells(reviewer.get("/assessment/").text, "unit-points")
    answer = reviewer.get("/assessment/", params={"export": "xlsx"})
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    assert sheet["A1"].value == f"{month} 解甲庄街道 考核得分"
    assert sheet["A3"].value == "导出人：张建国（shenhe）"
    assert sheet["A5"].value == f"筛选条件：月份：{month}"
    rows = [list(r) for r in sheet.iter_rows(min_row=9)]
    assert len(rows) == len(shown)
    for row, texts in zip(rows, shown, strict=True):
        for cell, text in zip(row, texts, strict=True):
            if cell.number_format == "0.0%":
                assert f"{cell.value * 100:.1f}%" == text
            elif isinstance(cell.value, int | float):
                assert f"{cell.value:.2f}".rstrip("0").rstrip(".") == text
            else:
                assert cell.value == text
    staff = reviewer.get("/assessment/", params={"export": "csv", "table": "staff"})
    parsed = list(csv.reader(io.StringIO(staff.content.decode("utf-8-sig"))))
    assert parsed[7][:3] == ["名次", "工作人员", "总分"] and parsed[8][1] == "王丽"
    entries = audit(hall["home"])
    assert [e["username"] for e in entries] == ["shenhe", "shenhe"]
    assert sorted(e["detail"].split(" | ")[1] for e in entries) == ["csv", "xlsx"]
    assert all(e["detail"].endswith(" rows") for e in entries)


def test_the_figures_and_rectification_lists_export_too(hall) -> None:
    reviewer = logged_in(hall, "shenhe")
    figures = reviewer.get("/figures/", params={"export": "xlsx", "table": "staff"})
    sheet = openpyxl.load_workbook(io.BytesIO(figures.content)).active
    assert sheet["A8"].value == "工作人员" and sheet["A9"].value == "王丽"
    assert sheet["C9"].value == 3 and sheet["E9"].number_format == "0.0%"
    tasks = reviewer.get("/rectifications/", params={"export": "csv"})
    parsed = list(csv.reader(io.StringIO(tasks.content.decode("utf-8-sig"))))
    assert parsed[0] == ["差评整改"] and parsed[7][0] == "环节" and len(parsed) == 9
    assert len(audit(hall["home"])) == 2


def test_a_clerk_may_neither_open_nor_export_the_assessment(hall) -> None:
    clerk = logged_in(hall, "chuangkou")
    assert clerk.get("/assessment/").status_code == 403
    assert clerk.get("/assessment/", params={"export": "xlsx"}).status_code == 403
    assert audit(hall["home"]) == []
