"""差评整改, 电话回访 and 好差评统计 over real HTTP against a real township process: the reviewer sees
the unit's tasks (an overdue one red) and takes each step on the case page; a refused step says why in
Chinese and writes nothing; a call is taken by one clerk, who alone sees the phone; the figures page
shows the rates as percentages; the other roles are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sync import events as ev
from sync.events import utc_now
from tests.support.results import CLERK, COUNTY, PROMISED_ITEM, REVIEWER, Above, register
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework, rectification
from township_app.casework.ratings import RatingForm, rate_case
from township_app.stores.store import Store

PHONE = "13905351234"  # the demo applicant's, as tests.support.results registers it


def bad_case(store: Store, days_ago: int = 0) -> tuple[str, str]:
    moment = utc_now() - timedelta(days=days_ago)
    case_id = register(store, item_code=PROMISED_ITEM, now=moment)
    casework.accept_case(store, case_id, CLERK, moment)
    state = rate_case(
        store, case_id, "acceptance", RatingForm(level="very_dissatisfied"), CLERK, moment
    )
    return case_id, state.rectifications[-1]["rating_id"]


def answered_case(store: Store) -> tuple[str, str]:
    case_id, rating_id = bad_case(store)
    now = utc_now()
    rectification.verify_task(store, case_id, rating_id, "核实。", REVIEWER, now)
    rectification.rectify_task(
        store, case_id, rating_id, upheld="1", text="整改。", actor=REVIEWER, now=now
    )
    payload = {"rating_id": rating_id, "confirmed": True, "text": "", "by_org": COUNTY}
    Above(store).write(case_id, ev.RECTIFICATION_REVIEWED, payload, "jiancha")
    rectification.answer_task(
        store, case_id, rating_id, method="phone", text="已致歉。", actor=REVIEWER, now=now
    )
    return case_id, rating_id


@pytest.fixture
def hall(demo_home: Path) -> Iterator[dict]:
    """A township with an overdue 差评, a fresh one and one answered (waiting for its callback)."""
    store = open_migrated(demo_home / "township.db")
    try:
        overdue = bad_case(store, days_ago=30)
        fresh = bad_case(store)
        answered = answered_case(store)
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        yield {
            "url": process.url,
            "home": demo_home,
            "overdue": overdue,
            "fresh": fresh,
            "answered": answered,
        }
    finally:
        process.stop()


OTHER_PASSWORDS = {"chuangkou2": "demo-clerk2-2026"}  # the demo's second window clerk


def logged_in(hall: dict, username: str) -> Browserless:
    session = Browserless(hall["url"])
    assert session.login(username, OTHER_PASSWORDS.get(username)).url.endswith("/")
    return session


def event_count(home: Path) -> int:
    store = open_migrated(home / "township.db")
    try:
        return store.event_count()
    finally:
        store.close()


def test_the_reviewer_lists_the_units_tasks_with_the_overdue_one_red(hall):
    reviewer = logged_in(hall, "shenhe")
    page = reviewer.get("/rectifications/")
    assert page.status_code == 200 and "差评整改" in page.text
    rows = re.findall(r'<tr class="([^"]*)">(.*?)</tr>', page.text, re.S)
    assert len(rows) == 3
    late = [body for cls, body in rows if "row--late" in cls]
    assert len(late) == 1 and "已逾期" in late[0] and "非常不满意" in late[0]
    assert "待核实 2" in page.text and "待回访 1" in page.text
    only = reviewer.get("/rectifications/", params={"stage": "callback"})
    assert only.text.count("待回访</span></td>") == 1
    partial = reviewer.get("/rectifications/", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div id="task-rows">')


def test_the_reviewer_verifies_and_rectifies_on_the_case_page(hall):
    reviewer = logged_in(hall, "shenhe")
    case_id, rating_id = hall["fresh"]
    page = reviewer.get(f"/cases/{case_id}")
    assert 'id="rectifications"' in page.text and "核实情况（必填）" in page.text
    before = event_count(hall["home"])
    empty = reviewer.post(f"/rectifications/{case_id}/{rating_id}/verify", {"text": "  "})
    assert empty.status_code == 422 and "请填写核实情况。" in empty.text
    early = reviewer.post(
        f"/rectifications/{case_id}/{rating_id}/answer", {"method": "phone", "text": "x"}
    )
    assert early.status_code == 422 and "这条差评当前「待核实」，不能「差评反馈」。" in early.text
    assert event_count(hall["home"]) == before
    done = reviewer.post(
        f"/rectifications/{case_id}/{rating_id}/verify",
        {"text": "调取录像，窗口人员态度生硬属实。"},
        allow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("#rectifications")
    page = reviewer.get(f"/cases/{case_id}")
    assert "调取录像，窗口人员态度生硬属实。" in page.text and "差评是否属实" in page.text
    no_choice = reviewer.post(f"/rectifications/{case_id}/{rating_id}/rectify", {"text": "已整改"})
    assert no_choice.status_code == 422 and "请选择差评是否属实。" in no_choice.text
    reviewer.post(
        f"/rectifications/{case_id}/{rating_id}/rectify", {"upheld": "1", "text": "已批评教育。"}
    )
    page = reviewer.get(f"/cases/{case_id}")
    assert "等待上级监察人员审核" in page.text and "差评属实" in page.text


@pytest.mark.parametrize("username", ["chuangkou", "daiban", "admin"])
def test_other_roles_may_not_rectify(hall, username):
    case_id, rating_id = hall["fresh"]
    other = logged_in(hall, username)
    assert other.get("/rectifications/").status_code == 403
    before = event_count(hall["home"])
    refused = other.post(f"/rectifications/{case_id}/{rating_id}/verify", {"text": "x"})
    assert refused.status_code == 403
    assert event_count(hall["home"]) == before


def test_one_clerk_takes_the_call_and_alone_sees_the_phone(hall):
    case_id, rating_id = hall["answered"]
    first, second = logged_in(hall, "chuangkou"), logged_in(hall, "chuangkou2")
    queue = first.get("/callbacks/")
    assert queue.status_code == 200 and "差评回访" in queue.text and "我来回访" in queue.text
    assert PHONE not in queue.text
    taken = first.post(f"/callbacks/{case_id}/claim", allow_redirects=False)
    assert taken.status_code == 303
    assert PHONE in first.get("/callbacks/").text
    theirs = second.get("/callbacks/")
    assert PHONE not in theirs.text and "王丽 正在回访" in theirs.text
    refused = second.post(f"/callbacks/{case_id}/claim")
    assert refused.status_code == 409 and "王丽 正在回访这个办件" in refused.text
    before = event_count(hall["home"])
    not_theirs = second.post(
        f"/callbacks/{case_id}/record", {"rating_id": rating_id, "reached": "1", "satisfied": "1"}
    )
    assert not_theirs.status_code == 422 and "请先点「我来回访」认领" in not_theirs.text
    assert event_count(hall["home"]) == before
    recorded = first.post(
        f"/callbacks/{case_id}/record",
        {"rating_id": rating_id, "reached": "1", "satisfied": "1", "note": "申请人满意"},
        allow_redirects=False,
    )
    assert recorded.status_code == 303 and event_count(hall["home"]) == before + 1
    assert "没有等待回访的办件。" in first.get("/callbacks/").text
    assert "申请人满意" in first.get(f"/cases/{case_id}").text


def test_the_figures_page_shows_the_rates_and_refuses_a_bad_month(hall):
    reviewer = logged_in(hall, "shenhe")
    months = {"from": (utc_now() - timedelta(days=40)).isoformat()[:7], "to": "2099-12"}
    page = reviewer.get("/figures/", params=months)
    assert page.status_code == 200
    unit = re.search(
        r'<table class="cases figures" id="unit-figures">(.*?)</table>', page.text, re.S
    )
    assert unit is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', unit.group(1))
    # Nothing completed (no rating rate); 3 ratings, all 差评; one answered on time and one open
    # past its due day (50.0% on time); none of the 3 called back yet.
    assert cells == ["0", "3", "—", "0.0%", "3", "50.0%", "1", "0.0%"]
    assert "王丽" in page.text  # the staff table names the clerk who accepted
    bad = reviewer.get("/figures/", params={"from": "2026-13", "to": "2026-01"})
    assert bad.status_code == 422 and "月份请按「2026-01」的格式填写" in bad.text
    assert logged_in(hall, "chuangkou").get("/figures/").status_code == 403


def test_the_header_links_follow_the_permissions(hall):
    reviewer = logged_in(hall, "shenhe").get("/").text
    clerk = logged_in(hall, "chuangkou").get("/").text
    assert all(word in reviewer for word in ("差评整改", "电话回访", "好差评统计"))
    # The two 差评 still to verify wait for the unit (the answered one waits for a callback).
    assert re.search(r'差评整改 <span class="count">2</span>', reviewer)
    # The menu, not the page: the clerk's home may list a 差评 task among its warnings.
    clerk_menu = re.search(r'<nav class="mainnav".*?</nav>', clerk, re.S).group(0)
    assert (
        "电话回访" in clerk_menu and "差评整改" not in clerk_menu and "好差评统计" not in clerk_menu
    )
