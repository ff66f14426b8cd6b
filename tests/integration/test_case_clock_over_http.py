"""延期 and 特别程序 at the township over real HTTP against a real township process: the reviewer
asks, the center's head (中心负责人) approves and prints the extension notice with the new date; the
receipt's promised date moves; excluded time is begun and ended with its printed notice; every
refusal is said in Chinese and writes nothing.

The case was accepted on Monday 2026-09-28 for 3 working days: 09-29, 09-30, then 国庆 (10-01 …
10-07 rest), 10-08 → due 10-08; 2 more days: 10-09 and Saturday 10-10 (a worked day) → 2026-10-10.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.events import utc_now
from tests.support.results import CLERK, FORWARDED_ITEM, PROMISED_ITEM, register
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework

ACCEPTED_AT = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday 10:00 in China


@pytest.fixture
def hall(demo_home: Path) -> Iterator[dict]:
    store = open_migrated(demo_home / "township.db")
    try:
        case_id = register(store, item_code=PROMISED_ITEM, now=ACCEPTED_AT)
        casework.accept_case(store, case_id, CLERK, ACCEPTED_AT)
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        yield {"url": process.url, "home": demo_home, "case_id": case_id}
    finally:
        process.stop()


def logged_in(hall: dict, username: str) -> Browserless:
    session = Browserless(hall["url"])
    assert session.login(username).url.endswith("/")
    return session


def event_count(home: Path) -> int:
    store = open_migrated(home / "township.db")
    try:
        return store.event_count()
    finally:
        store.close()


def test_the_reviewer_asks_the_head_approves_and_the_receipt_date_moves(hall: dict) -> None:
    case_id = hall["case_id"]
    reviewer = logged_in(hall, "shenhe")
    page = reviewer.get(f"/cases/{case_id}")
    assert 'id="extension-request"' in page.text
    assert "2026-10-08" in reviewer.get(f"/cases/{case_id}/receipt").text
    before = event_count(hall["home"])
    too_long = reviewer.post(f"/cases/{case_id}/extension", {"days": "11", "reason": "核查"})
    assert too_long.status_code == 422
    assert (
        "延期合计不能超过 10 个工作日：已批准 0 个工作日，本次申请 11 个工作日。" in too_long.text
    )
    assert event_count(hall["home"]) == before
    asked = reviewer.post(f"/cases/{case_id}/extension", {"days": "2", "reason": "需入户核查"})
    assert asked.status_code == 200 and "延期申请已提交，等待中心负责人审批。" in asked.text
    assert "待负责人审批" in asked.text and 'id="extension-decision"' not in asked.text
    # The reviewer may not decide; the head sees the request and approves it.
    refused = reviewer.post(f"/cases/{case_id}/extension/decision", {"decision": "approve"})
    assert refused.status_code == 403
    head = logged_in(hall, "fuzeren")
    page = head.get(f"/cases/{case_id}")
    assert 'id="extension-decision"' in page.text and "需入户核查" in page.text
    notice = head.post(f"/cases/{case_id}/extension/decision", {"decision": "approve"})
    assert notice.status_code == 200 and "行政许可延期通知书" in notice.text
    assert '<dd id="promised-on">2026-10-10</dd>' in notice.text
    assert "第四十二条" in notice.text and "延长 2 个工作日" in notice.text
    assert "2026-10-10" in reviewer.get(f"/cases/{case_id}/receipt").text
    page = reviewer.get(f"/cases/{case_id}")
    assert "已批准延期 2 个工作日" in page.text


def test_a_refusal_needs_a_reason_and_changes_nothing(hall: dict) -> None:
    case_id = hall["case_id"]
    logged_in(hall, "shenhe").post(f"/cases/{case_id}/extension", {"days": "2", "reason": "核查"})
    head = logged_in(hall, "fuzeren")
    before = event_count(hall["home"])
    answer = head.post(f"/cases/{case_id}/extension/decision", {"decision": "refuse"})
    assert answer.status_code == 422 and "不批准延期须说明理由。" in answer.text
    assert event_count(hall["home"]) == before
    answer = head.post(
        f"/cases/{case_id}/extension/decision", {"decision": "refuse", "note": "理由不充分"}
    )
    assert answer.status_code == 200 and "已不予批准延期。" in answer.text
    assert "2026-10-08" in head.get(f"/cases/{case_id}/receipt").text
    notice = head.get(f"/cases/{case_id}/extension-notice")
    assert notice.status_code == 409 and "办件没有已批准的延期" in notice.text


def test_excluded_time_is_begun_printed_and_ended(hall: dict) -> None:
    case_id = hall["case_id"]
    reviewer = logged_in(hall, "shenhe")
    before = event_count(hall["home"])
    nothing = reviewer.post(f"/cases/{case_id}/excluded-time/end", {"note": ""})
    assert nothing.status_code == 422
    assert "该办件没有正在进行的特别程序，不能结束。" in nothing.text
    bad = reviewer.post(f"/cases/{case_id}/excluded-time", {"kind": "holiday", "reason": "x"})
    assert bad.status_code == 422 and "请选择特别程序的种类" in bad.text
    assert event_count(hall["home"]) == before
    notice = reviewer.post(
        f"/cases/{case_id}/excluded-time", {"kind": "testing", "reason": "水质检测"}
    )
    assert notice.status_code == 200 and "特别程序告知书" in notice.text
    assert "第四十五条" in notice.text and "检测" in notice.text and "水质检测" in notice.text
    page = reviewer.get(f"/cases/{case_id}")
    assert "暂停计时（特别程序：检测）" in page.text and 'id="excluded-end"' in page.text
    ended = reviewer.post(f"/cases/{case_id}/excluded-time/end", {"note": "检测合格"})
    assert ended.status_code == 200 and "特别程序已结束，办理时限恢复计算。" in ended.text
    notice = reviewer.get(f"/cases/{case_id}/excluded-time-notice")
    assert "检测合格" not in notice.text and "顺延后办结期限" in notice.text


def test_a_clerk_may_neither_ask_nor_record(hall: dict) -> None:
    case_id = hall["case_id"]
    clerk = logged_in(hall, "chuangkou")
    assert 'id="extension-request"' not in clerk.get(f"/cases/{case_id}").text
    assert (
        clerk.post(f"/cases/{case_id}/extension", {"days": "2", "reason": "x"}).status_code == 403
    )
    answer = clerk.post(f"/cases/{case_id}/excluded-time", {"kind": "testing", "reason": "x"})
    assert answer.status_code == 403


def test_the_township_sees_its_own_stage_beside_the_whole_case(demo_home: Path) -> None:
    # The demo's 最低生活保障 limits the township's review to 5 working days of its 20.
    store = open_migrated(demo_home / "township.db")
    try:
        case_id = register(store, item_code=FORWARDED_ITEM)
        casework.accept_case(store, case_id, CLERK, utc_now())
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        reviewer = Browserless(process.url)
        reviewer.login("shenhe")
        page = reviewer.get(f"/cases/{case_id}").text
        assert '<dd id="clock-own">乡镇初审：剩余5个工作日</dd>' in page
        assert '<dd id="clock-whole">剩余20个工作日' in page
        assert "县级审批" in page and "未开始" in page
    finally:
        process.stop()
