"""Next year's calendar before and after it is published, with a real central server on loopback: a
case accepted in January 2027, when no 2027 calendar is known, is due on a provisional date (暂定)
at the township and at central; central publishes the official 2027 calendar, the feed brings it to
the township, and both recompute the date and note the change in the case's timeline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

from central_api import keys
from central_api.review.publish import publish_calendar
from central_api.stores.store import CentralStore
from tests.e2e.conftest import wait_for
from tests.e2e.test_sync_end_to_end import central_case_state, township_row
from tests.support.cases import queue_forwarded_cases
from tests.support.central import CentralProcess
from tests.support.reviewer import DEMO_PASSWORDS, PageSession
from tests.support.township import Browserless, TownshipProcess

# A made-up official notice (the real one is not out): 春节 February 5–12 off, Saturday February 20
# worked; the provisional rule had February 5–10 off and no worked weekend.
OFFICIAL_2027 = {
    "year": 2027,
    "version": 1,
    "source": "测试用国务院办公厅关于2027年部分节假日安排的通知",
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"]
    + [f"2027-02-{day:02d}" for day in range(5, 13)],
    "workdays": ["2027-02-20"],
}
# Accepted Thursday 2027-01-28 (09:00 in China), an item of 10 working days:
# provisionally Jan 29 (1), Feb 1–4 (5), Feb 5–10 off, Feb 11–12 (7), Feb 15–17 (10) → Feb 17;
# officially Jan 29 (1), Feb 1–4 (5), Feb 5–14 off, Feb 15–19 (10) → February 19.
ACCEPTED_AT = datetime(2027, 1, 28, 1, 0, tzinfo=UTC)
PUBLISHED_AT = datetime(2027, 1, 28, 17, 0, tzinfo=UTC)  # 01:00 on January 29 in China

_CELL = re.compile(r'<td class="deadline">(.*?)</td>', re.S)


def deadline_cells(html: str) -> list[str]:
    """The deadline column's cells of a list page, as text with their titles."""
    return [unescape(re.sub(r"\s+", " ", cell)) for cell in _CELL.findall(html)]


def visible_text(cell: str) -> str:
    """The text a cell shows (its tags and their titles taken out)."""
    return re.sub(r"<[^>]+>", "", cell).strip()


def test_a_provisional_due_date_is_recomputed_when_central_publishes_the_official_calendar(
    central: CentralProcess,
    central_home: Path,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    [number] = queue_forwarded_cases(home, 1, seed=19, now=ACCEPTED_AT)
    case_id, item = township_row(
        home, "SELECT case_id, item_code FROM cases WHERE case_number = ?", (number,)
    )
    [body] = township_row(home, "SELECT body FROM items WHERE code = ?", (item,))
    assert json.loads(body)["promised_days"] == 10
    township = TownshipProcess(
        home, env={"BIANMIN_SYNC_SECONDS": "1", "BIANMIN_TODAY": "2027-01-29"}
    ).start()
    try:
        wait_for(lambda: central_case_state(central_db, number) == "forwarded", what="forward up")
        clerk = Browserless(township.url)
        clerk.login("chuangkou")

        # Before: provisional everywhere, one short phrase in the lists.
        [cell] = deadline_cells(clerk.get("/cases/?q=" + number).text)
        assert visible_text(cell) == "2月17日到期（暂定）"
        assert "2027-02-17为暂定（以国务院办公厅公布的放假安排为准）" in cell  # in the title
        page = clerk.get(f"/cases/{case_id}").text
        assert "暂定" in page and "到期日重算" not in page
        receipt = clerk.get(f"/cases/{case_id}/receipt").text
        assert "2027-02-17（暂定）" in receipt
        assert "以国务院办公厅公布的放假安排为准" in receipt

        reviewer = PageSession(central.url)
        reviewer.get("/auth/login")
        reviewer.post(
            "/auth/login", {"username": "xianshen", "password": DEMO_PASSWORDS["xianshen"]}
        )
        [cell] = deadline_cells(reviewer.get("/review/?q=" + number).text)
        assert visible_text(cell).endswith("2月17日到期（暂定）")
        assert 'class="tag tag--provisional"' in reviewer.get(f"/review/cases/{number}").text

        # Central publishes the official calendar; the feed brings it down.
        publish_calendar(central_db, keys.load_or_create(central_home), OFFICIAL_2027, PUBLISHED_AT)
        wait_for(
            lambda: (
                township_row(home, "SELECT COUNT(*) FROM calendar_years WHERE year = 2027") == (1,)
            ),
            what="the 2027 calendar reaches the township",
        )

        # After: the official date, no 暂定, and the timeline says what changed and why.
        [cell] = deadline_cells(clerk.get("/cases/?q=" + number).text)
        assert visible_text(cell) == "剩9个工作日"
        page = clerk.get(f"/cases/{case_id}").text
        assert "到期日 2027-02-19" in page and "tag--provisional" not in page
        note = (
            "2027 年放假安排已发布（测试用国务院办公厅关于2027年部分节假日安排的通知），"
            "到期日由暂定的 2027-02-17 改为 2027-02-19。"
        )
        assert note in page
        receipt = clerk.get(f"/cases/{case_id}/receipt").text
        assert "2027-02-19" in receipt and "暂定" not in receipt

        [cell] = deadline_cells(reviewer.get("/review/?q=" + number).text)
        assert "暂定" not in cell
        central_page = reviewer.get(f"/review/cases/{number}").text
        assert note in central_page and "tag--provisional" not in central_page
    finally:
        township.stop()
