"""Results back at the window over real HTTP against a real township process: results to deliver,
decision notices, delivery and completion, returns from above, re-examination requests and
complaints, and every refusal on the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.results import Above, decided_case, forwarded_case
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated


def with_store(home: Path):
    """Open the data folder's store in the test (the app may be running: SQLite WAL)."""
    return open_migrated(home / "township.db")


@pytest.fixture
def desk(demo_home: Path) -> Iterator[dict]:
    """A township whose window has results waiting: approved, refused, returned, still above."""
    store = with_store(demo_home)
    above = Above(store)
    try:
        made = {
            "approved": decided_case(store, above, document_number="莱民审〔2026〕17号"),
            "refused": decided_case(
                store, above, "refused", document_number="", reasons="家庭人均收入高于低保标准"
            ),
            "returned": forwarded_case(store),
            "above": forwarded_case(store),
        }
        above.give_back(made["returned"], "近三个月银行流水", "村委会入户调查表")
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        yield {"url": process.url, "home": demo_home, "central": above, **made}
    finally:
        process.stop()


def logged_in(url: str, username: str) -> Browserless:
    session = Browserless(url)
    assert session.login(username).url.endswith("/")
    return session


def state_of(home: Path, case_id: str) -> tuple[str, int]:
    store = with_store(home)
    try:
        return store.case(case_id).state, store.event_count()
    finally:
        store.close()


def test_results_to_deliver_are_listed_with_their_decision_and_counted_in_the_menu(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    page = clerk.get("/results/")
    assert page.status_code == 200
    assert "共 2 件" in page.text
    assert "莱民审〔2026〕17号" in page.text and "不予批准" in page.text
    assert re.search(r"待送达\s*<span class=\"count\">2</span>", page.text)
    assert "<html" in page.text
    partial = clerk.get("/results/", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div id="result-rows">')
    assert "<html" not in partial.text and "HX-Request" in partial.headers["Vary"]
    home = clerk.get("/")
    assert "已审批待送达" in home.text and "上级退回" in home.text


def test_results_to_deliver_page_through_twenty_at_a_time(demo_home: Path):
    store = with_store(demo_home)
    above = Above(store)
    try:
        for _ in range(21):
            decided_case(store, above)
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        clerk = logged_in(process.url, "chuangkou")
        first = clerk.get("/results/")
        assert "共 21 件" in first.text and "下一页" in first.text
        assert first.text.count("打印决定书") == 20
        second = clerk.get("/results/?page=2", headers={"HX-Request": "true"})
        assert second.text.count("打印决定书") == 1 and "上一页" in second.text
        assert "下一页" not in second.text
    finally:
        process.stop()


@pytest.mark.parametrize("path", ["/cases/", "/petitions/", "/results/"])
@pytest.mark.parametrize("number", ["461168601842738792", "9" * 30, "100000", "-1", "٣", "+2"])
def test_a_list_page_number_beyond_any_list_or_not_in_ascii_digits_is_the_first_page(
    desk, path: str, number: str
):
    clerk = logged_in(desk["url"], "chuangkou")
    asked = clerk.get(f"{path}?page={number}")
    assert asked.status_code == 200, asked.text[:300]
    assert "上一页" not in asked.text  # the first page itself


def test_the_case_page_shows_the_decision_and_who_decided_at_which_unit(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    page = clerk.get(f"/cases/{desk['approved']}").text
    assert "审批结果" in page and "批准文号" in page and "莱民审〔2026〕17号" in page
    assert "莱山区" in page and "xianshen" in page
    assert "解甲庄街道 → 莱山区" in page  # the township's opinion that went up
    assert "送达并办结" in page and "打印审批决定书" in page
    refused = clerk.get(f"/cases/{desk['refused']}").text
    assert "不予批准理由" in refused and "家庭人均收入高于低保标准" in refused
    assert "打印不予批准决定书" in refused


def test_the_approval_notice_carries_the_document_number_and_the_seal_lines(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    paper = clerk.get(f"/cases/{desk['approved']}/decision-notice")
    assert paper.status_code == 200
    text = paper.text
    assert "准予批准决定书" in text and "莱民审〔2026〕17号" in text
    assert "决定予以批准" in text and "莱山区民政局" in text
    assert (
        "审批单位：莱山区民政局（盖章）" in text
        and "送达单位：解甲庄街道便民服务中心（盖章）" in text
    )
    assert "送达回证" in text and "签收人（签字）" in text
    assert "行政复议" not in text  # remedies belong on a refusal


def test_the_refusal_notice_states_the_reasons_and_every_remedy(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    text = clerk.get(f"/cases/{desk['refused']}/decision-notice").text
    assert "不予批准决定书" in text and "家庭人均收入高于低保标准" in text
    assert "六十日内依法申请行政复议" in text
    assert "六个月内依法向人民法院提起行政诉讼" in text
    assert "提出复核申请" in text and "解甲庄街道便民服务中心窗口" in text
    assert clerk.get(f"/cases/{desk['refused']}/decision-notice?width=receipt").status_code == 200


def test_no_decision_notice_before_a_decision(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    paper = clerk.get(f"/cases/{desk['above']}/decision-notice")
    assert paper.status_code == 409 and "尚无上级审批结果" in paper.text


def test_deliver_and_complete_in_one_form_then_a_second_time_is_refused(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    case_id = desk["approved"]
    done = clerk.post(
        f"/results/{case_id}/deliver",
        {"method": "window", "recipient": "王秀英", "note": "本人领取", "then": "complete"},
    )
    assert done.status_code == 200 and done.url.endswith(f"/cases/{case_id}")
    assert "已送达并办结" in done.text and "已办结" in done.text
    assert "窗口领取" in done.text and "签收人：王秀英" in done.text
    before = state_of(desk["home"], case_id)
    assert before[0] == "completed"
    again = clerk.post(
        f"/results/{case_id}/deliver",
        {"method": "window", "recipient": "王秀英", "then": "complete"},
    )
    assert again.status_code == 422
    assert "只有上级已审批、尚未办结的办件才能送达和办结" in again.text
    assert state_of(desk["home"], case_id) == before
    assert "共 1 件" in clerk.get("/results/").text


def test_delivery_only_then_completion_later(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    case_id = desk["refused"]
    first = clerk.post(
        f"/results/{case_id}/deliver",
        {"method": "post", "recipient": "王秀英", "note": "EMS 1234", "then": "deliver"},
    )
    assert first.status_code == 200 and "已登记送达" in first.text
    assert state_of(desk["home"], case_id)[0] == "decided"
    assert "邮寄送达，待办结" in clerk.get("/results/").text
    twice = clerk.post(
        f"/results/{case_id}/deliver", {"method": "post", "recipient": "x", "then": "deliver"}
    )
    assert twice.status_code == 422 and "不能重复登记送达" in twice.text
    done = clerk.post(f"/results/{case_id}/complete", {"note": ""})
    assert done.status_code == 200 and state_of(desk["home"], case_id)[0] == "completed"


def test_a_bad_delivery_form_keeps_what_was_typed_and_changes_nothing(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    case_id = desk["approved"]
    before = state_of(desk["home"], case_id)
    answer = clerk.post(
        f"/results/{case_id}/deliver",
        {"method": "post", "recipient": " ", "note": "EMS 98765", "then": "complete"},
    )
    assert answer.status_code == 422 and "请填写签收人" in answer.text
    assert 'value="EMS 98765"' in answer.text
    assert re.search(r'value="post" required\s+checked', answer.text)
    assert state_of(desk["home"], case_id) == before


@pytest.mark.parametrize(("username", "status"), [("daiban", 403), ("admin", 403), ("shenhe", 200)])
def test_only_window_staff_deliver(desk, username, status):
    staff = logged_in(desk["url"], username)
    answer = staff.post(
        f"/results/{desk['approved']}/deliver",
        {"method": "window", "recipient": "王秀英", "then": "complete"},
    )
    assert answer.status_code == status
    expected = "completed" if status == 200 else "decided"
    assert state_of(desk["home"], desk["approved"])[0] == expected


def test_a_returned_case_shows_the_list_from_above_and_the_paused_clock(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    case_id = desk["returned"]
    page = clerk.get(f"/cases/{case_id}").text
    assert "上级退回补正" in page and "时限暂停" in page and "暂停计时" in page
    assert "近三个月银行流水" in page and "村委会入户调查表" in page
    assert "莱山区（xianshen）" in page
    notice = clerk.get(f"/cases/{case_id}/supplement-notice").text
    assert "莱山区于" in notice and "审查后退回" in notice
    assert "近三个月银行流水" in notice and "退回单位：莱山区（审核人：xianshen）" in notice
    assert "经办人：王丽" in notice  # the clerk who hands the notice over
    cases = clerk.get("/cases/?state=supplement_requested").text
    assert "暂停计时" in cases

    # The materials come: back to preliminary review, where the reviewer forwards it again.
    form = clerk.get(f"/cases/{case_id}").text
    assert 'name="received_other" value="近三个月银行流水"' in form
    forged = clerk.post(f"/cases/{case_id}/supplement-received", {"received_other": "别的东西"})
    assert forged.status_code == 422 and "请勾选收到的补正材料" in forged.text
    assert state_of(desk["home"], case_id)[0] == "supplement_requested"
    back = clerk.post(
        f"/cases/{case_id}/supplement-received",
        {"received_other": ["近三个月银行流水", "村委会入户调查表"]},
    )
    assert back.status_code == 200 and "初审中" in back.text
    reviewer = logged_in(desk["url"], "shenhe")
    again = reviewer.post(
        f"/review/{case_id}/forward", {"opinion": "已补齐材料，同意上报。", "conclusion": "agree"}
    )
    assert again.status_code == 200 and state_of(desk["home"], case_id)[0] == "forwarded"


def test_a_re_examination_of_an_approval_is_refused_with_the_reason_shown(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    case_id = desk["approved"]
    before = state_of(desk["home"], case_id)
    answer = clerk.post(
        f"/petitions/cases/{case_id}",
        {"kind": "reexamination", "text": "不服", "contact": "13905351234"},
    )
    assert answer.status_code == 422
    assert "只有不予受理或不予批准的办件才能申请复核" in answer.text
    assert ">不服</textarea>" in answer.text  # what was typed stays
    assert state_of(desk["home"], case_id) == before


def test_a_complaint_is_registered_listed_open_and_shows_its_answer(desk):
    clerk = logged_in(desk["url"], "chuangkou")
    case_id = desk["refused"]
    made = clerk.post(
        f"/petitions/cases/{case_id}",
        {"kind": "reexamination", "text": "家庭收入计算有误，请求复核。", "contact": "13905351234"},
    )
    assert made.status_code == 200 and "/cases/" in made.url
    assert "待答复" in made.text and "家庭收入计算有误" in made.text
    listed = clerk.get("/petitions/?status=open").text
    assert "共 1 件" in listed and "复核申请" in listed
    assert re.search(r"复核与投诉\s*<span class=\"count\">1</span>", listed)
    assert "共 0 件" in clerk.get("/petitions/?status=answered").text

    store = with_store(desk["home"])
    try:
        petition_id = store.case(case_id).petitions[0]["petition_id"]
        Above(store, seq=desk["central"].seq, last_hash=desk["central"].last_hash).answer(
            case_id, petition_id, "经复核，维持原决定。"
        )
    finally:
        store.close()
    page = clerk.get(f"/cases/{case_id}").text
    assert "已答复" in page and "经复核，维持原决定。" in page
    answered = clerk.get("/petitions/?status=answered", headers={"HX-Request": "true"})
    assert answered.text.lstrip().startswith('<div id="petition-rows">')
    assert "经复核，维持原决定。" in answered.text and "共 1 件" in answered.text


def test_a_village_agent_cannot_register_a_petition(desk):
    agent = logged_in(desk["url"], "daiban")
    answer = agent.post(
        f"/petitions/cases/{desk['refused']}", {"kind": "complaint", "text": "x", "contact": ""}
    )
    assert answer.status_code == 403
    assert state_of(desk["home"], desk["refused"])[0] == "decided"
