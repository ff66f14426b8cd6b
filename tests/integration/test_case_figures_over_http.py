"""办件统计 at the township over real HTTP: the window staff see their own township's casework
figures from the kept table (a row of another unit in the same table is never shown), any period,
a bad period answered in Chinese; a village agent is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.events import CHINA_TZ, utc_now
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework

OTHER_UNIT = "370613001"  # 黄海路街道: another township's rows, put in this table by hand


@pytest.fixture
def hall(demo_home: Path) -> Iterator[dict]:
    """A township with three cases registered today, two accepted and one completed."""
    store = open_migrated(demo_home / "township.db")
    try:
        now = utc_now()
        cases = [register(store, item_code=PROMISED_ITEM, now=now) for _ in range(3)]
        for case_id in cases[:2]:
            casework.accept_case(store, case_id, CLERK, now)
        casework.complete_case(
            store, cases[0], outcome="approved", document_number="", reasons="", note="",
            actor=CLERK, now=now,
        )  # fmt: skip
        day = now.astimezone(CHINA_TZ).date().isoformat()
        with store.write():
            for dimension, key in (
                ("unit", OTHER_UNIT),
                ("staff", f"{OTHER_UNIT}/zhangsan"),
                ("unit_item", f"{OTHER_UNIT}/{PROMISED_ITEM}"),
            ):
                store.db.execute(
                    "INSERT INTO case_figures VALUES (?, ?, ?, 'received', 7)",
                    [dimension, key, day],
                )
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        yield {"url": process.url, "day": day}
    finally:
        process.stop()


def logged_in(hall: dict, username: str) -> Browserless:
    session = Browserless(hall["url"])
    assert session.login(username).url.endswith("/")
    return session


def tile(page: str, name: str) -> str:
    found = re.search(rf'id="fig-{name}">(.*?)</span>', page, re.S)
    assert found, name
    return found.group(1).strip()


def test_a_clerk_sees_only_their_townships_figures(hall: dict) -> None:
    clerk = logged_in(hall, "chuangkou")
    page = clerk.get("/figures/cases", params={"period": "day", "day": hall["day"]})
    assert page.status_code == 200
    assert (tile(page.text, "received"), tile(page.text, "accepted")) == ("3", "2")
    assert tile(page.text, "completed") == "1"
    assert tile(page.text, "on-time") == "100.0%"
    staff = re.search(r'id="staff-case-figures">(.*?)</table>', page.text, re.S).group(1)
    items = re.search(r'id="item-case-figures">(.*?)</table>', page.text, re.S).group(1)
    assert "zhangsan" not in staff and "7" not in re.findall(r'<td class="num">([^<]*)<', staff)
    # One item, ours only (the other unit's 7 received of the same item are not added).
    assert re.findall(r'<td class="num">([^<]*)<', items)[:3] == ["3", "2", "1"]
    assert 'id="trend-chart"' in page.text
    year = clerk.get("/figures/cases", params={"period": "year", "day": hall["day"]})
    assert tile(year.text, "received") == "3"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "century"}, "统计周期应为"),
        ({"period": "day", "day": "2026-02-30"}, "日期请按"),
        ({"period": "range", "from": "2026-12-07", "to": "2026-01-01"}, "起始日期不能晚于截止日期"),
    ],
)
def test_a_bad_period_is_answered_in_chinese(hall: dict, params: dict, message: str) -> None:
    page = logged_in(hall, "shenhe").get("/figures/cases", params=params)
    assert page.status_code == 422 and message in page.text
    assert 'id="case-figure-tables"' in page.text


def test_a_village_agent_is_refused_and_the_header_shows_the_link_to_staff(hall: dict) -> None:
    assert logged_in(hall, "daiban").get("/figures/cases").status_code == 403
    assert "办件统计" in logged_in(hall, "chuangkou").get("/").text
