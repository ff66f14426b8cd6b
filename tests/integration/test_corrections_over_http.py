"""Corrections (更正) at the window over real HTTP against a real township process: the form shows the
case as it is, a correction is recorded with old and new values, who and why, and shown in the
timeline (ID numbers masked for those who see them masked); wrong input and a stale form change
nothing and say why in Chinese; a decided case is corrected only by the township reviewer; a proxy
application without its entrustment is not registered; the supplement form pre-ticks only the
missing required materials; names, not log-ins, on the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.events import utc_now
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework

NEW_ID = "370613198001010011"


@pytest.fixture
def hall(demo_home: Path) -> Iterator[dict]:
    """A township with an open case and a completed one."""
    store = open_migrated(demo_home / "township.db")
    try:
        open_case = register(store, item_code=PROMISED_ITEM)
        done = register(store, item_code=PROMISED_ITEM)
        casework.accept_case(store, done, CLERK, utc_now())
        casework.complete_case(
            store, done, outcome="approved", document_number="民〔2026〕9号",
            reasons="", note="", actor=CLERK, now=utc_now(),
        )  # fmt: skip
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        yield {"url": process.url, "home": demo_home, "open": open_case, "done": done}
    finally:
        process.stop()


def logged_in(hall: dict, username: str) -> Browserless:
    session = Browserless(hall["url"])
    assert session.login(username).url.endswith("/")
    return session


def events(home: Path) -> int:
    store = open_migrated(home / "township.db")
    try:
        return store.event_count()
    finally:
        store.close()


def form_of(page: str) -> dict[str, str]:
    """The correction form's values as the page shows them (what a browser would send back)."""
    values = dict(re.findall(r'<input name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    values["seen"] = re.search(r'name="seen" value="([^"]*)"', page).group(1)
    values["received"] = re.findall(r'name="received" value="([^"]+)" checked', page)
    return values


def test_a_clerk_corrects_the_id_number_and_the_timeline_shows_old_and_new(hall):
    clerk = logged_in(hall, "chuangkou")
    page = clerk.get(f"/corrections/cases/{hall['open']}")
    assert page.status_code == 200 and "更正办件信息" in page.text
    values = form_of(page.text)
    assert values["id_number"] == "11010519491231002X" and values["name"] == "王秀英"
    values.update(
        id_number=NEW_ID, phone="139 0535 9999", reason="身份证号码录入错误，核对原件更正"
    )
    done = clerk.post(f"/corrections/cases/{hall['open']}", values)
    assert done.status_code == 200 and "更正已记录" in done.text
    assert "申请人公民身份号码" in done.text and NEW_ID in done.text
    assert "身份证号码录入错误，核对原件更正" in done.text and "已更正 1 次" in done.text
    assert "王丽" in done.text  # who corrected, by name
    # The administrator sees ID numbers masked everywhere, in the trail too (old and new).
    admin = logged_in(hall, "admin")
    shown = admin.get(f"/cases/{hall['open']}").text
    assert NEW_ID not in shown and "11010519491231002X" not in shown
    assert "370*" in shown and "0011" in shown and "110*" in shown


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reason": " "}, "请填写更正原因。"),
        ({"id_number": "110105194912310021", "reason": "x"}, "校验位不正确"),
        ({"phone": "12345", "reason": "x"}, "手机号码"),
        ({"name": "", "reason": "x"}, "请填写申请人姓名。"),
        ({"reason": "什么也没改"}, "没有需要更正的内容"),
        ({"proxy_name": "李四", "proxy_id_number": NEW_ID, "reason": "补录代办人"}, "委托书"),
        ({"seen": "stale", "name": "王秀"}, "已有新的办理记录"),
    ],
)
def test_a_wrong_correction_changes_nothing_and_says_why(hall, change, message):
    clerk = logged_in(hall, "chuangkou")
    values = form_of(clerk.get(f"/corrections/cases/{hall['open']}").text)
    values.update({"reason": "录入错误", **change})
    if "proxy_name" in change:  # a proxy added while the entrustment is corrected to "not received"
        values["received"] = [code for code in values["received"] if code != "M05"]
    before = events(hall["home"])
    refused = clerk.post(f"/corrections/cases/{hall['open']}", values)
    assert refused.status_code in (409, 422) and message in refused.text
    assert "Traceback" not in refused.text
    assert events(hall["home"]) == before


def test_a_decided_case_is_corrected_by_the_reviewer_only(hall):
    clerk = logged_in(hall, "chuangkou")
    page = clerk.get(f"/corrections/cases/{hall['done']}")
    assert "更正须由乡镇审核人员进行" in page.text and 'id="correction-form"' not in page.text
    reviewer = logged_in(hall, "shenhe")
    values = form_of(reviewer.get(f"/corrections/cases/{hall['done']}").text)
    values.update(name="王秀云", reason="姓名错字，核对户口簿更正")
    before = events(hall["home"])
    refused = clerk.post(f"/corrections/cases/{hall['done']}", values)
    assert refused.status_code == 409 and "更正须由乡镇审核人员进行" in refused.text
    assert events(hall["home"]) == before
    done = reviewer.post(f"/corrections/cases/{hall['done']}", values)
    assert done.status_code == 200 and "王秀云" in done.text and "张建国" in done.text


def test_an_agent_may_not_correct(hall):
    agent = logged_in(hall, "daiban")
    assert agent.get(f"/corrections/cases/{hall['open']}").status_code in (403, 404)


def test_the_supplement_form_pre_ticks_only_missing_required_materials(demo_home: Path):
    store = open_migrated(demo_home / "township.db")
    try:
        case_id = register(store, complete=False)  # 最低生活保障: required ones missing
        item = store.item(store.case(case_id).item["code"])
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        clerk = Browserless(process.url)
        clerk.login("chuangkou")
        page = clerk.get(f"/cases/{case_id}").text
        ticked = set(re.findall(r'name="missing" value="([^"]+)" checked', page))
        required = {m["code"] for m in item["materials"] if m["mandatory"]}
        optional = {m["code"] for m in item["materials"] if not m["mandatory"]}
        assert ticked == required and optional  # 残疾人证 and 委托书 are optional: not ticked
        # The header names the clerk and the role once.
        assert "王丽（窗口人员）" in page and "（窗口）（" not in page
    finally:
        process.stop()


def test_a_proxy_application_without_its_entrustment_is_not_registered(township):
    clerk = Browserless(township.url)
    clerk.login("chuangkou")
    page = clerk.get("/intake/new/370613-MZ-003").text
    case_id = re.search(r'name="case_id" value="([^"]+)"', page).group(1)
    codes = re.findall(r'name="received" value="([^"]+)"', page)
    form = {
        "case_id": case_id,
        "name": "王秀英",
        "id_number": "11010519491231002X",
        "proxy_name": "李四",
        "proxy_id_number": NEW_ID,
        "proxy_relation": "儿子",
        "received": [c for c in codes if c not in ("M05", "WTS")],
    }
    refused = clerk.post("/intake/new/370613-MZ-003", form)
    assert refused.status_code == 422 and "委托书" in refused.text
    entrustment = next(c for c in codes if c in ("M05", "WTS"))
    form["received"] = codes if entrustment in codes else [*codes, entrustment]
    made = clerk.post("/intake/new/370613-MZ-003", form)
    assert made.status_code == 200 and "李四" in made.text
