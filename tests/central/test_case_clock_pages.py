"""Extensions (延期) and excluded time (特别程序) on a case's page at central, over real HTTP: a county
reviewer asks, the county's head (审批负责人) approves or refuses, the due date moves, the township
is told through the feed and the applicant by SMS; every refusal is said in Chinese and changes
nothing; the stage limits (环节时限) show the county's own days beside the whole case's."""

from __future__ import annotations

import base64
import uuid

import pytest
import requests

from central_api.stores.store import CentralStore
from sync import events as ev
from sync.case_clock import case_deadline
from sync.clock_rules import extension_days, stage_clocks
from tests.support.central import CentralProcess, FakeDevice, issue_code
from tests.support.reviewer import PageSession, push_forwarded


@pytest.fixture(scope="module")
def device(central: CentralProcess, central_home, database_url) -> FakeDevice:
    made = FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper())
    made.enroll(issue_code(central_home, database_url, "370613004", 72))
    return made


@pytest.fixture
def county(central: CentralProcess) -> PageSession:
    session = PageSession(central.url)
    assert session.login("xianshen").status_code == 303
    return session


@pytest.fixture
def head(central: CentralProcess) -> PageSession:
    session = PageSession(central.url)
    assert session.login("xianfuze").status_code == 303
    return session


def _case(device: FakeDevice) -> tuple[str, str]:
    events = push_forwarded(device)
    return events[0].payload["case_number"], events[0].case_id


def test_a_reviewer_asks_the_head_approves_and_the_due_date_moves(
    device: FakeDevice, county: PageSession, head: PageSession, central_store: CentralStore
) -> None:
    number, case_id = _case(device)
    page = county.get(f"/review/cases/{number}")
    assert page.status_code == 200 and 'id="extension-request"' in page.text
    before = central_store.case_state(case_id)
    answer = county.post(
        f"/review/cases/{number}/extension", {"days": "5", "reason": "需入户调查核实收入"}
    )
    assert answer.status_code == 303, answer.text[:500]
    page = county.follow(answer)
    assert "延期申请已提交，等待负责人审批。" in page.text and "待负责人审批" in page.text
    # The reviewer cannot approve: the form is the head's, and the route refuses them.
    assert 'id="extension-decision"' not in page.text
    refused = county.post(f"/review/cases/{number}/extension/decision", {"decision": "approve"})
    assert refused.status_code == 403
    # The head sees the request on the page and approves it.
    page = head.get(f"/review/cases/{number}")
    assert 'id="extension-decision"' in page.text and "需入户调查核实收入" in page.text
    answer = head.post(f"/review/cases/{number}/extension/decision", {"decision": "approve"})
    assert answer.status_code == 303, answer.text[:500]
    assert "已批准延期" in head.follow(answer).text
    state = central_store.case_state(case_id)
    assert extension_days(state) == 5
    today = ev.business_date(ev.format_time(ev.utc_now()))
    moved, was = case_deadline(state, today), case_deadline(before, today)
    if moved and was and moved.due_on and was.due_on:
        assert moved.days_left == was.days_left + 5
    # The decision goes down to the township in the feed, and the applicant gets an SMS.
    entries = device.client().feed(0, limit=500)["entries"]
    feed = [base64.b64decode(entry["envelope"]["payload"]).decode() for entry in entries]
    mine = [body for body in feed if case_id in body]
    assert any(ev.EXTENSION_REQUESTED in b for b in mine)
    assert any(ev.EXTENSION_DECIDED in b for b in mine)
    with central_store.reading() as c:
        stages = [
            row.stage
            for row in c.exec_driver_sql(
                f"SELECT stage FROM notifications WHERE case_id = '{case_id}'"
            )
        ]
    assert "extended" in stages
    # The resident's progress page shows the approval, never the request or its reason.
    progress = requests.get(
        f"{county.base_url}/api/v1/progress",
        params={"case_number": number, "query_code": state.query_code},
        timeout=30,
    ).json()
    labels = [step["label"] for step in progress["timeline"]]
    assert "经负责人批准延期办理（详见延期通知书）" in labels
    assert "需入户调查核实收入" not in str(progress)


def test_the_head_refuses_with_a_reason_and_nothing_moves(
    device: FakeDevice, county: PageSession, head: PageSession, central_store: CentralStore
) -> None:
    number, case_id = _case(device)
    county.get(f"/review/cases/{number}")
    county.post(f"/review/cases/{number}/extension", {"days": "3", "reason": "等待公示"})
    head.get(f"/review/cases/{number}")
    answer = head.post(f"/review/cases/{number}/extension/decision", {"decision": "refuse"})
    assert answer.status_code == 422 and "不批准延期须说明理由。" in answer.text
    assert central_store.case_state(case_id).extensions[0]["decision"] is None
    answer = head.post(
        f"/review/cases/{number}/extension/decision",
        {"decision": "refuse", "note": "公示期可在时限内完成"},
    )
    assert answer.status_code == 303
    state = central_store.case_state(case_id)
    assert extension_days(state) == 0 and state.extensions[0]["decision"]["approved"] is False


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"days": "11", "reason": "x"}, 409, "延期合计不能超过 10 个工作日"),
        ({"days": "0", "reason": "x"}, 422, "延期天数应为正整数（工作日）。"),
        ({"days": "三", "reason": "x"}, 422, "延期天数应为正整数（工作日）。"),
        ({"days": "3", "reason": "  "}, 422, "申请延期必须说明理由。"),
    ],
)
def test_a_bad_extension_request_is_refused_in_chinese_and_changes_nothing(
    device: FakeDevice,
    county: PageSession,
    central_store: CentralStore,
    form: dict[str, str],
    status: int,
    message: str,
) -> None:
    number, case_id = _case(device)
    county.get(f"/review/cases/{number}")
    before = central_store.case_state(case_id)
    answer = county.post(f"/review/cases/{number}/extension", form)
    assert answer.status_code == status and message in answer.text
    assert "Traceback" not in answer.text
    assert central_store.case_state(case_id) == before


def test_excluded_time_pauses_the_clock_until_it_ends(
    device: FakeDevice, county: PageSession, central_store: CentralStore
) -> None:
    number, case_id = _case(device)
    county.get(f"/review/cases/{number}")
    ended = county.post(f"/review/cases/{number}/excluded-time/end", {"note": ""})
    assert ended.status_code == 409 and "该办件没有正在进行的特别程序，不能结束。" in ended.text
    answer = county.post(
        f"/review/cases/{number}/excluded-time", {"kind": "appraisal", "reason": "房屋安全鉴定"}
    )
    assert answer.status_code == 303
    page = county.follow(answer)
    assert "暂停计时（特别程序：鉴定）" in page.text and 'id="excluded-end"' in page.text
    again = county.post(
        f"/review/cases/{number}/excluded-time", {"kind": "hearing", "reason": "听证"}
    )
    assert again.status_code == 403 or "尚未结束" in again.text
    answer = county.post(f"/review/cases/{number}/excluded-time/end", {"note": "鉴定完成"})
    assert answer.status_code == 303
    state = central_store.case_state(case_id)
    assert state.excluded[0]["end"] is not None and state.excluded[0]["end_note"] == "鉴定完成"


def test_the_county_sees_its_own_stage_beside_the_whole_case(
    device: FakeDevice, county: PageSession, central_store: CentralStore
) -> None:
    # The demo's 最低生活保障 limits the township's review to 5 and the county's to 15 days.
    number, case_id = _case(device)
    page = county.get(f"/review/cases/{number}")
    assert 'id="clock-whole"' in page.text and 'id="clock-own"' in page.text
    own = page.text.split('id="clock-own">')[1].split("</dd>")[0]
    state = central_store.case_state(case_id)
    today = ev.business_date(ev.format_time(ev.utc_now()))  # the page's day is China's
    stages = {s.stage: s for s in stage_clocks(state, today)}
    assert stages["county"].limit == 15 and stages["township"].limit == 5
    assert own == "县级审批：" + stages["county"].status.message
    # The inbox says the county's own days under the whole case's, in one short line.
    inbox = county.get("/review/", params={"q": number}).text
    own_stage = inbox.split('class="small stage-left"', 1)[1].split("</span>", 1)[0]
    assert f'title="{stages["county"].status.message}"' in own_stage and "本级：" in own_stage
    assert "延期待批" not in inbox
    county.get(f"/review/cases/{number}")
    county.post(f"/review/cases/{number}/extension", {"days": "2", "reason": "核查"})
    assert "延期待批" in county.get("/review/", params={"q": number}).text
    assert "乡镇初审" in page.text


def test_another_countys_head_cannot_decide(
    device: FakeDevice, county: PageSession, central: CentralProcess, central_store: CentralStore
) -> None:
    from central_api import users
    from sync.events import utc_now

    name = f"h{uuid.uuid4().hex[:8]}"
    users.create_user(
        central_store, username=name, display_name="芝罘区负责人", role="head",
        org_code="370602", password="long-enough-pw", now=utc_now(),
    )  # fmt: skip
    number, case_id = _case(device)
    county.get(f"/review/cases/{number}")
    county.post(f"/review/cases/{number}/extension", {"days": "3", "reason": "核查"})
    other = PageSession(central.url)
    assert other.login(name, "long-enough-pw").status_code == 303
    answer = other.post(f"/review/cases/{number}/extension/decision", {"decision": "approve"})
    assert answer.status_code == 404
    assert central_store.case_state(case_id).extensions[0]["decision"] is None


def test_a_townships_extension_is_folded_at_central_and_a_non_head_approval_rejected(
    device: FakeDevice, central_store: CentralStore
) -> None:
    # The township asks and decides while it holds the case (its reviewer, then its head); central
    # folds the same events by the same rules, keeps a reviewer's "approval" rejected with the
    # fold's reason, and tells the applicant of the head's by SMS.
    registered = device.register()
    case_id = registered.case_id
    accepted = device.event(case_id, ev.ACCEPTED, {})
    device.actor = "shenhe"
    asked = device.event(
        case_id,
        ev.EXTENSION_REQUESTED,
        {"days": 4, "reason": "等待公示期满", "by_org": "370613004"},
    )
    decision = {"request_id": asked.event_id, "approved": True, "note": "", "by_org": "370613004"}
    device.actor = "shenhe2"
    by_reviewer = device.event(case_id, ev.EXTENSION_DECIDED, {**decision, "role": "reviewer"})
    device.actor = "fuzeren"
    by_head = device.event(case_id, ev.EXTENSION_DECIDED, {**decision, "role": "head"})
    device.actor = "chuangkou"
    result = device.push(device.pack([registered, accepted, asked, by_reviewer, by_head]))[0]
    assert result["status"] == "accepted", result
    receipt = base64.b64decode(result["receipt"]["payload"]).decode()
    assert by_reviewer.event_id in receipt and "只有负责人才能审批延期申请。" in receipt
    state = central_store.case_state(case_id)
    assert extension_days(state) == 4 and state.extensions[0]["decision"]["by"] == "fuzeren"
    with central_store.reading() as c:
        stages = [
            row.stage
            for row in c.exec_driver_sql(
                f"SELECT stage FROM notifications WHERE case_id = '{case_id}'"
            )
        ]
    assert "extended" in stages
