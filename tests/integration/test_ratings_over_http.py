"""The rating screen (评价器) over real HTTP against a real township process: the clerk opens it from
the case page, the resident rates, thanks come and the page goes back by itself; a second rating of
the step is refused with the fold's message; bad input is answered in Chinese and writes nothing."""

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

ALREADY = "本办件的这一环节已经评价过了，每个环节只能评价一次。"


@pytest.fixture
def window(demo_home: Path) -> Iterator[dict]:
    """A township with an accepted case and a completed one, and the clerk logged in."""
    store = open_migrated(demo_home / "township.db")
    try:
        accepted = register(store, item_code=PROMISED_ITEM)
        casework.accept_case(store, accepted, CLERK, utc_now())
        completed = register(store, item_code=PROMISED_ITEM)
        casework.accept_case(store, completed, CLERK, utc_now())
        casework.complete_case(
            store,
            completed,
            outcome="approved",
            document_number="民〔2026〕3号",
            reasons="",
            note="",
            actor=CLERK,
            now=utc_now(),
        )
        waiting = register(store, item_code=PROMISED_ITEM)
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    clerk = Browserless(process.url)
    assert clerk.login("chuangkou").url.endswith("/")
    try:
        yield {
            "clerk": clerk,
            "home": demo_home,
            "accepted": accepted,
            "completed": completed,
            "waiting": waiting,
        }
    finally:
        process.stop()


def ratings_of(home: Path, case_id: str) -> tuple[tuple, int]:
    store = open_migrated(home / "township.db")
    try:
        return store.case(case_id).ratings, store.event_count()
    finally:
        store.close()


def test_the_clerk_opens_the_screen_from_the_case_page_and_the_resident_rates(window):
    clerk, case_id = window["clerk"], window["accepted"]
    page = clerk.get(f"/cases/{case_id}")
    assert "请群众评价（受理环节）" in page.text and "请群众评价（办理结果）" not in page.text
    screen = clerk.get(f"/ratings/{case_id}/acceptance")
    assert screen.status_code == 200
    assert 'class="topbar' not in screen.text  # the resident sees no staff menu
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f"<span>{label}</span>" in screen.text
    assert "服务态度不好" in screen.text and 'name="csrf_token"' in screen.text
    done = clerk.post(
        f"/ratings/{case_id}/acceptance",
        {"level": "dissatisfied", "reasons": "slow", "comment": " 排队太久 ", "named": "0"},
        allow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/thanks")
    thanks = clerk.get(done.headers["Location"])
    assert "感谢您的评价" in thanks.text
    # Back by itself (no JavaScript needed), and a plain link for whoever is quicker.
    assert re.search(
        rf'<meta http-equiv="refresh" content="\d+;url=/cases/{case_id}#ratings">', thanks.text
    )
    assert f'href="/cases/{case_id}#ratings"' in thanks.text
    (rating,), _ = ratings_of(window["home"], case_id)
    assert (rating["level"], rating["bad"], rating["reasons"], rating["comment"]) == (
        "dissatisfied",
        True,
        ["slow"],
        "排队太久",
    )
    assert (rating["channel"], rating["named"], rating["scale_version"]) == (
        "window",
        False,
        "national-2019",
    )
    after = clerk.get(f"/cases/{case_id}")
    assert "受理环节：不满意" in after.text and "差评" in after.text
    assert "办理时间长、效率低" in after.text and "请群众评价（受理环节）" not in after.text


def test_a_second_rating_of_the_step_is_refused_with_the_folds_message(window):
    clerk, case_id = window["clerk"], window["completed"]
    first = clerk.post(f"/ratings/{case_id}/result", {"level": "very_satisfied", "named": "0"})
    assert first.status_code == 200 and "感谢您的评价" in first.text
    before = ratings_of(window["home"], case_id)
    again = clerk.post(f"/ratings/{case_id}/result", {"level": "very_dissatisfied", "named": "0"})
    assert again.status_code == 422 and ALREADY in again.text
    assert ratings_of(window["home"], case_id) == before
    assert ALREADY in clerk.get(f"/ratings/{case_id}/result").text
    # The other step of the same case is still open.
    assert clerk.post(f"/ratings/{case_id}/acceptance", {"level": "satisfied"}).status_code == 200


# (form, the Chinese answer)
BAD_FORMS = [
    ({"level": "average", "named": "0"}, "请选择评价等级。"),  # a level of the 2015 scale only
    ({"level": "sixth_level", "named": "0"}, "请选择评价等级。"),
    ({"named": "0"}, "请选择评价等级。"),
    ({"level": "satisfied", "comment": "慢" * 501}, "评价意见最多 500 个字，现有 501 个字。"),
    (
        {"level": "dissatisfied", "reasons": "bribe"},
        "评价原因 bribe 不在评价标准 national-2019 中。",
    ),
    ({"level": "satisfied", "named": "1", "rater_phone": "13800138000"}, "实名评价请填写姓名。"),
    ({"level": "satisfied", "named": "1", "rater_name": "张三"}, "实名评价请填写手机号码。"),
    (
        {"level": "satisfied", "named": "1", "rater_name": "张三", "rater_phone": "0535-1234567"},
        "手机号码应以13至19开头，请核对是否填成了座机号码。",
    ),
]


@pytest.mark.parametrize(("form", "message"), BAD_FORMS)
def test_bad_input_is_answered_in_chinese_and_writes_nothing(window, form, message):
    clerk, case_id = window["clerk"], window["accepted"]
    before = ratings_of(window["home"], case_id)
    answer = clerk.post(f"/ratings/{case_id}/acceptance", form)
    assert answer.status_code == 422
    assert message in answer.text
    assert ratings_of(window["home"], case_id) == before


def test_a_case_not_yet_accepted_offers_no_rating_and_refuses_one(window):
    clerk, case_id = window["clerk"], window["waiting"]
    assert "请群众评价" not in clerk.get(f"/cases/{case_id}").text
    answer = clerk.post(f"/ratings/{case_id}/acceptance", {"level": "satisfied"})
    assert answer.status_code == 422
    assert "办件尚未受理或作出不予受理决定，还不能评价受理环节。" in answer.text
    assert clerk.get(f"/ratings/{case_id}/delivery").status_code == 404


def test_the_screen_needs_the_clerks_session_and_its_csrf_token(window):
    stranger = Browserless(window["clerk"].base)
    page = stranger.get(f"/ratings/{window['accepted']}/acceptance", allow_redirects=False)
    assert page.status_code in (302, 303) and "/auth/login" in page.headers["Location"]
    clerk = window["clerk"]
    forged = clerk.http.post(
        f"{clerk.base}/ratings/{window['accepted']}/acceptance",
        data={"level": "satisfied"},
        timeout=10,
    )
    assert forged.status_code == 400
    assert ratings_of(window["home"], window["accepted"])[0] == ()
