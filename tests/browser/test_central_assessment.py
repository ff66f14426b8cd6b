"""A supervisor in a real browser: the month's ranking of the units, a unit's points with the
figures behind each point, and its Excel export, downloaded and opened with openpyxl, checked cell
by cell against the table on the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from central_api.stores.figure_store import add_figures
from central_api.stores.store import CentralStore
from central_api.stores.supervision_store import SupervisionStore
from tests.support.central import CentralProcess, init_home
from tests.support.reviewer import DEMO_PASSWORDS

MONTH = "2025-07"
UNIT = "370613004"


@pytest.fixture(scope="module")
def central_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralProcess]:
    """A central server made by `bianmin-central init --demo`, on SQLite, with a month's figures
    of 解甲庄街道 and 黄海路街道 and a red card against 解甲庄街道's 王芳 (wangfang)."""
    home = tmp_path_factory.mktemp("central") / "home"
    url = f"sqlite:///{home.parent / 'central.db'}"
    init_home(home, url)
    store = CentralStore.open(url, migrate=False)
    try:
        figures = {
            (UNIT, "completed", 30), (UNIT, "rated", 24), (UNIT, "ratings", 24),
            (UNIT, "satisfied", 21), (UNIT, "tasks", 2), (UNIT, "answered", 2),
            (UNIT, "answered_on_time", 1), (UNIT, "callbacks_due", 4), (UNIT, "called_back", 3),
            ("370613001", "completed", 10), ("370613001", "rated", 10),
            ("370613001", "ratings", 10), ("370613001", "satisfied", 10),
        }  # fmt: skip
        deltas = {("unit", key, MONTH, metric): value for key, metric, value in figures}
        deltas |= {
            ("staff", f"{UNIT}/wangfang", MONTH, metric): value
            for key, metric, value in figures
            if key == UNIT
        }
        with store.transaction() as c:
            add_figures(c, deltas)
            SupervisionStore(store).add_card(
                c,
                {
                    "unit": UNIT, "person": "wangfang", "colour": "red", "reason": "超期",
                    "issued_by": "jiancha", "issued_at": f"{MONTH}-15T02:00:00Z",
                },
                "jiancha",
            )  # fmt: skip
    finally:
        store.close()
    process = CentralProcess(home, url).start()
    try:
        yield process
    finally:
        process.stop()


def _page_cells(table) -> list[list[str]]:
    return [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]


def _text(cell) -> str:
    if cell.value is None:
        return ""
    if cell.number_format == "0.0%":
        return f"{cell.value * 100:.1f}%"
    if isinstance(cell.value, int | float):
        return f"{cell.value:.2f}".rstrip("0").rstrip(".")
    return str(cell.value)


def test_supervisor_opens_a_units_points_and_its_excel_export_matches_the_page(
    page: Page, central_server: CentralProcess, artifacts: Path, tmp_path: Path
) -> None:
    page.goto(central_server.url + "/")
    page.get_by_label("用户名").fill("jiancha")
    page.get_by_label("密码").fill(DEMO_PASSWORDS["jiancha"])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="窗口考核").click()
    page.get_by_label("考核月份").fill(MONTH)
    page.get_by_role("button", name="查看").click()
    ranking = page.locator("table.export-table")
    expect(ranking.locator("tbody tr").first).to_contain_text("黄海路街道")
    expect(ranking.locator("tbody tr").nth(1)).to_contain_text("解甲庄街道")
    page.screenshot(path=str(artifacts / "central-assessment-ranking.png"), full_page=True)

    ranking.get_by_role("link", name="解甲庄街道").click()
    points = page.locator("#unit-points table.export-table")
    expect(points.locator("tr", has_text="满意率")).to_contain_text("9.43")
    expect(points.locator("tr", has_text="红牌扣分")).to_contain_text("每次扣 3 分")
    expect(page.locator("#staff-ranking")).to_contain_text("wangfang")
    page.screenshot(path=str(artifacts / "central-assessment-unit.png"), full_page=True)

    with page.expect_download() as started:
        page.locator("#unit-points").get_by_role("link", name="导出 Excel").click()
    download = started.value
    assert download.suggested_filename == f"assessment-{UNIT}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    sheet = openpyxl.load_workbook(saved).active
    assert sheet["A1"].value == points.get_attribute("data-title") == f"{MONTH} 解甲庄街道 考核得分"
    assert sheet["A3"].value == "导出人：电子监察员（jiancha）"
    headings = [h.strip() for h in points.locator("thead th").all_inner_texts()]
    assert [c.value for c in sheet[8]] == headings
    shown = _page_cells(points)
    rows = list(sheet.iter_rows(min_row=9))
    assert len(rows) == len(shown) == 14
    for number, (cells, texts) in enumerate(zip(rows, shown, strict=True), start=9):
        assert [_text(c) for c in cells] == texts, f"row {number}"
