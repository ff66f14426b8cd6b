"""The assessment pages over real HTTP: a month's ranking of the units under a supervisor's, a
unit's points with the figures behind them and its staff, the scope of another county, and the
exports (.xlsx opened with openpyxl, CSV parsed back), masked and audited."""

from __future__ import annotations

import csv
import io
import re
import uuid
from html import unescape

import openpyxl
import pytest
from sqlalchemy import select

from central_api import users
from central_api.stores import schema as t
from central_api.stores.figure_store import add_figures
from central_api.stores.store import CentralStore
from central_api.stores.supervision_store import SupervisionStore
from sync.events import utc_now
from tests.support.central import CentralProcess
from tests.support.reviewer import DEMO_PASSWORDS, PageSession

MONTH = "2025-07"  # a month no other test of the module writes figures in
JIEJIAZHUANG, HUANGHAILU = "370613004", "370613001"


def _login(central: CentralProcess, username: str, password: str | None = None) -> PageSession:
    session = PageSession(central.url)
    assert session.login(username, password or DEMO_PASSWORDS[username]).status_code == 303
    return session


@pytest.fixture(scope="module")
def month_figures(central_store: CentralStore) -> None:
    """解甲庄: 30 completed, 24 rated, 21 of 24 satisfied, one red card against 王芳 (wangfang);
    黄海路: 10 completed, all rated and satisfied, no cards."""
    figures = {
        (JIEJIAZHUANG, "completed", 30), (JIEJIAZHUANG, "rated", 24),
        (JIEJIAZHUANG, "ratings", 24), (JIEJIAZHUANG, "satisfied", 21),
        (HUANGHAILU, "completed", 10), (HUANGHAILU, "rated", 10), (HUANGHAILU, "ratings", 10),
        (HUANGHAILU, "satisfied", 10),
    }  # fmt: skip
    deltas = {("unit", unit, MONTH, metric): value for unit, metric, value in figures}
    deltas |= {
        ("staff", f"{JIEJIAZHUANG}/wangfang", MONTH, metric): value
        for unit, metric, value in figures
        if unit == JIEJIAZHUANG
    }
    with central_store.transaction() as c:
        add_figures(c, deltas)
        SupervisionStore(central_store).add_card(
            c,
            {
                "unit": JIEJIAZHUANG, "person": "wangfang", "colour": "red",
                "reason": "超期", "issued_by": "jiancha", "issued_at": f"{MONTH}-15T02:00:00Z",
            },
            "jiancha",
        )  # fmt: skip


def _cells(html: str, section: str = "") -> list[list[str]]:
    if section:
        html = html.split(f'id="{section}"', 1)[1]
    body = html.split('class="cases figures export-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]  # fmt: skip


def test_the_supervisor_ranks_the_units_and_opens_one_with_the_figures_behind_each_point(
    central: CentralProcess, month_figures: None
) -> None:
    supervisor = _login(central, "jiancha")
    page = supervisor.get(f"/assessment/?month={MONTH}")
    assert page.status_code == 200
    ranking = _cells(page.text)
    names = [row[1] for row in ranking]
    assert names.index("黄海路街道") < names.index("解甲庄街道")
    # The casework figures are kept (case_figures, migration 0011): no "not counted" note.
    assert "办件统计（受理、办结时效、补正、投诉等）尚未统计" not in page.text
    unit = supervisor.get(f"/assessment/units/{JIEJIAZHUANG}?month={MONTH}").text
    points = {row[1]: row for row in _cells(unit, "unit-points")}
    # 21 of 24 satisfied is 87.5%, between 60% (0) and 95% (12 points): 9.43.
    assert points["满意率"][3] == "9.43" and points["满意率"][4:7] == ["21", "24", "87.5%"]
    assert points["红牌扣分"][3] == "3" and points["红牌扣分"][4] == "1"
    # No case accepted in the month (only 好差评 figures seeded): no base, full points.
    assert points["办结率"][3] == "6" and "本月无基数" in points["办结率"][8]
    staff = _cells(unit, "staff-ranking")
    assert [row[1] for row in staff] == ["wangfang"]
    person = supervisor.get(f"/assessment/units/{JIEJIAZHUANG}/staff/wangfang?month={MONTH}")
    assert person.status_code == 200 and "wangfang" in person.text


def test_a_supervisor_of_another_county_sees_nothing_of_these_units(
    central: CentralProcess, central_store: CentralStore, month_figures: None
) -> None:
    name = f"s{uuid.uuid4().hex[:8]}"
    users.create_user(
        central_store, username=name, display_name="芝罘区监察", role="supervisor",
        org_code="370602", password="long-enough-pw", now=utc_now(),
    )  # fmt: skip
    other = _login(central, name, "long-enough-pw")
    page = other.get(f"/assessment/?month={MONTH}").text
    assert "解甲庄街道" not in page and "黄海路街道" not in page
    for path in (
        f"/assessment/units/{JIEJIAZHUANG}?month={MONTH}",
        f"/assessment/units/{JIEJIAZHUANG}/staff/wangfang?month={MONTH}",
        f"/assessment/units/{JIEJIAZHUANG}?month={MONTH}&export=xlsx",
    ):
        answer = other.get(path)
        main = answer.text.split('<main id="main">', 1)[1]
        assert answer.status_code == 404 and "没有找到该单位" in main and "wangfang" not in main


@pytest.mark.parametrize("username", ["xianshen", "shishen"])
def test_reviewers_may_not_open_the_assessment(central: CentralProcess, username: str) -> None:
    assert _login(central, username).get("/assessment/").status_code == 403


def test_a_bad_month_says_so_and_shows_this_month(central: CentralProcess) -> None:
    answer = _login(central, "jiancha").get("/assessment/?month=2025-13")
    assert answer.status_code == 422 and "月份请按" in answer.text


def _audit(store: CentralStore) -> list[dict]:
    with store.reading() as c:
        query = select(t.audit_log).where(t.audit_log.c.action == "export")
        return [dict(r) for r in c.execute(query.order_by(t.audit_log.c.id)).mappings()]


def test_the_excel_export_holds_the_page_table_cell_by_cell_and_is_audited(
    central: CentralProcess, central_store: CentralStore, month_figures: None
) -> None:
    supervisor = _login(central, "jiancha")
    path = f"/assessment/units/{JIEJIAZHUANG}?month={MONTH}"
    shown = _cells(supervisor.get(path).text, "unit-points")
    before = len(_audit(central_store))
    answer = supervisor.get(path + "&export=xlsx")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in answer.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    assert sheet["A1"].value == f"{MONTH} 解甲庄街道 考核得分"
    assert (
        sheet["A2"].value == "导出单位：烟台市"
        and sheet["A3"].value == "导出人：电子监察员（jiancha）"
    )
    assert "筛选条件：月份：2025-07；单位：解甲庄街道" == sheet["A5"].value
    assert sheet.freeze_panes == "A9"
    headings = [c.value for c in sheet[8]]
    assert headings[:4] == ["类别", "指标", "分值", "得分"]
    rows = list(sheet.iter_rows(min_row=9, values_only=False))
    assert len(rows) == len(shown)
    for cells, texts in zip(rows, shown, strict=True):
        for cell, text in zip(cells, texts, strict=True):
            if cell.number_format == "0.0%":
                assert f"{cell.value * 100:.1f}%" == text
            elif isinstance(cell.value, int | float):
                assert f"{cell.value:.2f}".rstrip("0").rstrip(".") == text
            else:
                assert cell.value == text
    satisfaction = next(r for r in rows if r[1].value == "满意率")
    assert satisfaction[3].value == 9.43 and satisfaction[6].number_format == "0.0%"
    entries = _audit(central_store)[before:]
    assert len(entries) == 1 and entries[0]["username"] == "jiancha"
    assert "xlsx" in entries[0]["detail"] and "2025-07" in entries[0]["detail"]
    assert "14 rows" in entries[0]["detail"]


def test_the_csv_export_parses_back_to_the_page_table(
    central: CentralProcess, month_figures: None
) -> None:
    supervisor = _login(central, "jiancha")
    shown = _cells(supervisor.get(f"/assessment/?month={MONTH}").text)
    answer = supervisor.get(f"/assessment/?month={MONTH}&export=csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == [f"{MONTH} 窗口单位考核排名"]
    assert rows[7][:3] == ["名次", "单位", "总分"]
    assert rows[8:] == shown
