"""The supervisors' pages of the 差评 loop over real HTTP: the 差评 list with its filters, counts and
overdue rows; the case page's 差评整改 panel (a supervisor confirms or sends back, a county works its
own 差评); the callback queue, its claims and the phone shown only to the claimer; the figures.
Every refusal answers in Chinese and writes nothing."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from central_api import users
from central_api.stores import schema as t
from central_api.stores.review_store import ReviewStore
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.events import format_time, utc_now
from sync.rectification_rules import in_sample
from tests.support.central import COUNTY, CentralProcess, FakeDevice, registered_payload
from tests.support.reviewer import PageSession

PHONE = "13800138000"  # the applicant's, in every test case's registration
RATER_PHONE = "13912345678"


def bad_rating(step: str = "result", **changes: Any) -> dict[str, Any]:
    return {
        "step": step,
        "scale_version": "national-2019",
        "level": "very_dissatisfied",
        "bad": True,
        "reasons": ["attitude"],
        "comment": "窗口态度差",
        "channel": "window",
        "named": True,
        "rater_name": "王五",
        "rater_phone": RATER_PHONE,
        **changes,
    }


def push(device: FakeDevice, *events: ev.Event) -> None:
    (result,) = device.push(device.pack(list(events)))
    assert result["status"] == "accepted", result


def township_bad_rating(device: FakeDevice, *, days_ago: int = 1) -> tuple[str, str, str]:
    """Push a completed promised case rated 差评 and verified and rectified by the township: its
    task waits for the supervisor's review. Return (case number, case id, rating id)."""
    device.moment = datetime.now(UTC) - timedelta(days=days_ago)
    registered = device.register()
    payload = dict(registered.payload)
    payload["item"] = registered_payload("promised")["item"]
    device.writer_seq -= 1
    device.last_hash = registered.prev_hash
    registered = device.event(registered.case_id, ev.REGISTERED, payload)
    case_id = registered.case_id
    rated = [
        registered,
        device.event(case_id, ev.ACCEPTED, {}),
        device.event(case_id, ev.COMPLETED, {"outcome": "approved"}),
        device.event(case_id, ev.RATED, bad_rating()),
    ]
    rid = rated[-1].event_id
    push(
        device,
        *rated,
        device.event(case_id, ev.RECTIFICATION_VERIFIED, {"rating_id": rid, "text": "属实"}),
        device.event(
            case_id, ev.RECTIFIED, {"rating_id": rid, "upheld": True, "text": "已批评教育"}
        ),
    )
    return str(registered.payload["case_number"]), case_id, rid


def county_bad_rating(device: FakeDevice, county: PageSession) -> tuple[str, str, str]:
    """Push a forwarded case, approve it on the county's page, deliver, complete and rate it 差评
    at the township: the task is the county's. Return (case number, case id, rating id)."""
    device.moment = datetime.now(UTC) - timedelta(hours=3)
    registered = device.register()
    case_id = registered.case_id
    push(
        device,
        registered,
        device.event(case_id, ev.ACCEPTED, {}),
        device.event(
            case_id,
            ev.FORWARDED,
            {"opinion": "材料齐全，同意上报。", "conclusion": "agree", "to_org": COUNTY},
        ),
    )
    number = str(registered.payload["case_number"])
    county.get(f"/review/cases/{number}")
    answer = county.post(f"/review/cases/{number}/approve", {"document_number": "莱民〔2026〕3号"})
    assert answer.status_code == 303, answer.text[:300]
    push(
        device,
        device.event(case_id, ev.DELIVERED, {"method": "window", "recipient": "张三"}),
        device.event(case_id, ev.COMPLETED, {"outcome": "approved"}),
    )
    rated = device.event(case_id, ev.RATED, bad_rating(named=False, rater_name="", rater_phone=""))
    push(device, rated)
    return number, case_id, rated.event_id


def _user(store: CentralStore, role: str, org: str) -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    users.create_user(
        store, username=name, display_name="测试", role=role, org_code=org,
        password="long-enough-pw", now=utc_now(),
    )  # fmt: skip
    return name


@pytest.fixture(scope="module")
def supervisor(central: CentralProcess) -> PageSession:
    session = PageSession(central.url)
    assert session.login("jiancha").status_code == 303
    return session


@pytest.fixture(scope="module")
def county(central: CentralProcess) -> PageSession:
    session = PageSession(central.url)
    assert session.login("xianshen").status_code == 303
    return session


def task_of(store: CentralStore, case_id: str, rid: str) -> Any:
    return store.case_state(case_id).rectification(rid)


def test_supervisor_lists_the_bad_ratings_of_their_units_with_overdue_rows_red(
    device: FakeDevice, supervisor: PageSession
) -> None:
    late, _, _ = township_bad_rating(device, days_ago=30)
    fresh, _, _ = township_bad_rating(device, days_ago=0)
    page = supervisor.get("/rectifications/")
    assert page.status_code == 200 and "差评整改" in page.text
    assert late in page.text and fresh in page.text
    late_row = page.text.split(late)[0].rsplit("<tr", 1)[1]
    fresh_row = page.text.split(fresh)[0].rsplit("<tr", 1)[1]
    assert 'class="overdue"' in late_row and 'class="overdue"' not in fresh_row
    overdue = supervisor.get("/rectifications/", params={"overdue": "1"})
    assert late in overdue.text and fresh not in overdue.text
    partial = supervisor.get(
        "/rectifications/", params={"stage": "review"}, headers={"HX-Request": "true"}
    )
    assert partial.text.lstrip().startswith('<section id="task-rows"') and late in partial.text
    assert "待审核" in partial.text
    none = supervisor.get("/rectifications/", params={"stage": "closed", "month": "2020-01"})
    assert late not in none.text and "没有符合条件的差评整改" in none.text


@pytest.mark.parametrize(
    ("params"),
    [{"stage": "bogus"}, {"month": "2026-13"}, {"page": "-1"}, {"unit": "999999"}],
)
def test_odd_filters_are_ignored_not_a_server_error(
    supervisor: PageSession, params: dict[str, str]
) -> None:
    assert supervisor.get("/rectifications/", params=params).status_code == 200


def test_supervisor_sends_back_only_with_a_reason_then_confirms(
    device: FakeDevice, supervisor: PageSession, central_store: CentralStore
) -> None:
    number, case_id, rid = township_bad_rating(device)
    page = supervisor.get(f"/review/cases/{number}")
    assert 'id="rectifications"' in page.text and "确认整改" in page.text
    assert "窗口态度差" in page.text and "服务态度不好" in page.text
    before = central_store.counts()
    answer = supervisor.post(f"/rectifications/{number}/{rid}/review", {"decision": "send_back"})
    assert answer.status_code == 422 and "退回重新整改须说明理由。" in answer.text
    answer = supervisor.post(f"/rectifications/{number}/{rid}/review", {"decision": "maybe"})
    assert answer.status_code == 422 and "请选择确认整改或退回重新整改。" in answer.text
    assert central_store.counts() == before
    answer = supervisor.post(
        f"/rectifications/{number}/{rid}/review", {"decision": "send_back", "text": "不够具体"}
    )
    assert answer.status_code == 303
    assert task_of(central_store, case_id, rid)["stage"] == "rectify"
    # At 待整改 the review is refused by the fold's order, in Chinese, and nothing is written.
    before = central_store.counts()
    answer = supervisor.post(f"/rectifications/{number}/{rid}/review", {"decision": "confirm"})
    assert answer.status_code == 409 and "这条差评当前「待整改」" in answer.text
    assert central_store.counts() == before
    push(
        device,
        device.event(case_id, ev.RECTIFIED, {"rating_id": rid, "upheld": True, "text": "再整改"}),
    )
    answer = supervisor.post(f"/rectifications/{number}/{rid}/review", {"decision": "confirm"})
    assert answer.status_code == 303
    task = task_of(central_store, case_id, rid)
    assert task["stage"] == "answer" and task["reviews"][-1]["by_org"] == "370600"
    shown = supervisor.follow(answer)
    assert "已确认整改" in shown.text and "退回重新整改" in shown.text  # the history


def test_a_county_works_its_own_bad_rating_and_nobody_else_can(
    device: FakeDevice,
    county: PageSession,
    supervisor: PageSession,
    central: CentralProcess,
    central_store: CentralStore,
) -> None:
    number, case_id, rid = county_bad_rating(device, county)
    assert task_of(central_store, case_id, rid)["unit"] == COUNTY
    listed = county.get("/rectifications/")
    assert number in listed.text
    page = county.get(f"/review/cases/{number}")
    assert "登记核实" in page.text
    before = central_store.counts()
    for path, form, message in [
        ("verify", {"text": "  "}, "请填写核实情况。"),
        ("rectify", {"text": "x", "upheld": "yes"}, "这条差评当前「待核实」"),
    ]:
        answer = county.post(f"/rectifications/{number}/{rid}/{path}", form)
        assert answer.status_code in (409, 422) and message in answer.text, answer.text[-800:]
    assert central_store.counts() == before
    state = central_store.case_state(case_id)
    # The supervisor may not write the county's steps; another county does not see the case.
    assert (
        supervisor.post(f"/rectifications/{number}/{rid}/verify", {"text": "x"}).status_code == 403
    )
    other = PageSession(central.url)
    other.login(_user(central_store, "county_reviewer", "370602"), "long-enough-pw")
    answer = other.post(f"/rectifications/{number}/{rid}/verify", {"text": "x"})
    assert answer.status_code == 404 and number not in other.get("/rectifications/").text
    assert (
        county.post(f"/rectifications/{number}/{rid}/review", {"decision": "confirm"}).status_code
        == 403
    )
    assert central_store.case_state(case_id) == state
    assert central_store.count("events") == before["events"]
    assert (
        county.post(f"/rectifications/{number}/{rid}/verify", {"text": "查实"}).status_code == 303
    )
    answer = county.post(f"/rectifications/{number}/{rid}/rectify", {"text": "已整改"})
    assert answer.status_code == 422 and "请选择差评是否属实。" in answer.text
    answer = county.post(
        f"/rectifications/{number}/{rid}/rectify", {"text": "按规定办理", "upheld": "no"}
    )
    assert answer.status_code == 303
    supervisor.get(f"/review/cases/{number}")
    assert (
        supervisor.post(
            f"/rectifications/{number}/{rid}/review", {"decision": "confirm"}
        ).status_code
        == 303
    )
    answer = county.post(f"/rectifications/{number}/{rid}/answer", {"text": "已电话说明"})
    assert answer.status_code == 422 and "请选择反馈方式" in answer.text
    answer = county.post(
        f"/rectifications/{number}/{rid}/answer", {"text": "已电话说明", "method": "phone"}
    )
    assert answer.status_code == 303
    task = task_of(central_store, case_id, rid)
    assert task["stage"] == "callback" and task["rectified"]["upheld"] is False


def test_the_phone_is_shown_only_to_the_caller_who_claimed_the_callback(
    device: FakeDevice,
    county: PageSession,
    supervisor: PageSession,
    central: CentralProcess,
    central_store: CentralStore,
) -> None:
    number, case_id, rid = township_bad_rating(device)
    supervisor.get(f"/review/cases/{number}")
    supervisor.post(f"/rectifications/{number}/{rid}/review", {"decision": "confirm"})
    push(
        device,
        device.event(
            case_id,
            ev.RECTIFICATION_ANSWERED,
            {"rating_id": rid, "method": "sms", "text": "已致歉"},
        ),
    )
    queue = supervisor.get("/callbacks/")
    assert number in queue.text and "差评回访" in queue.text
    assert PHONE not in queue.text and RATER_PHONE not in queue.text
    assert county.get("/callbacks/").status_code == 403
    early = supervisor.get(f"/callbacks/{number}")
    assert early.status_code == 409 and "我来回访" in early.text and PHONE not in early.text
    claimed = supervisor.post(f"/callbacks/{number}/claim", {})
    assert claimed.status_code == 303
    call = supervisor.follow(claimed)
    assert PHONE in call.text and RATER_PHONE in call.text
    audit = [
        a for a in ReviewStore(central_store).audit_entries(50) if a["action"] == "callback_phone"
    ]
    assert audit and audit[0]["detail"] == number and PHONE not in audit[0]["detail"]
    # A second caller cannot take the call, nor see the numbers.
    other = PageSession(central.url)
    other.login(_user(central_store, "supervisor", "370600"), "long-enough-pw")
    assert "jiancha 正在回访" in other.get("/callbacks/").text
    refused = other.post(f"/callbacks/{number}/claim", {})
    assert refused.status_code == 409 and "这个回访正由 jiancha 负责" in refused.text
    assert PHONE not in refused.text
    assert other.get(f"/callbacks/{number}").status_code == 409
    before = central_store.counts()
    bad = supervisor.post(f"/callbacks/{number}/record", {"rating_id": rid, "reached": "yes"})
    assert bad.status_code == 422 and "联系上申请人时，请记录申请人是否满意。" in bad.text
    bad = supervisor.post(f"/callbacks/{number}/record", {"rating_id": rid})
    assert bad.status_code == 422 and "请选择是否联系上申请人。" in bad.text
    # A sample callback of a case whose 差评 waits for its own is not offered, nor taken.
    bad = supervisor.post(
        f"/callbacks/{number}/record", {"rating_id": "", "reached": "yes", "satisfied": "yes"}
    )
    assert bad.status_code == 409 and "这个办件目前不需要回访。" in bad.text
    assert {k: v for k, v in central_store.counts().items() if k != "audit_log"} == {
        k: v for k, v in before.items() if k != "audit_log"
    }
    answer = supervisor.post(
        f"/callbacks/{number}/record", {"rating_id": rid, "reached": "no", "note": "无人接听"}
    )
    assert answer.status_code == 303
    assert task_of(central_store, case_id, rid)["stage"] == "callback"
    # The claim went with the record: the next attempt is claimed again.
    assert supervisor.get(f"/callbacks/{number}").status_code == 409
    supervisor.post(f"/callbacks/{number}/claim", {})
    answer = supervisor.post(
        f"/callbacks/{number}/record", {"rating_id": rid, "reached": "yes", "satisfied": "yes"}
    )
    assert answer.status_code == 303
    task = task_of(central_store, case_id, rid)
    assert task["stage"] == "closed" and len(task["callbacks"]) == 2
    assert number not in supervisor.get("/callbacks/").text


def test_figures_show_rates_per_unit_item_and_staff(
    device: FakeDevice, supervisor: PageSession, county: PageSession, central: CentralProcess
) -> None:
    township_bad_rating(device)
    for dimension, name in [("unit", "解甲庄街道"), ("item", ""), ("staff", "chuangkou")]:
        page = supervisor.get("/figures/", params={"dimension": dimension})
        assert page.status_code == 200 and "好差评统计" in page.text
        assert name in page.text and "%" in page.text
    # Rates as percentages with one decimal.
    assert re.search(r"<td>\d{1,3}\.\d%</td>", supervisor.get("/figures/").text)
    empty = supervisor.get("/figures/", params={"from": "2020-01", "to": "2020-02"})
    assert "所选月份没有统计数据" in empty.text
    for odd in ({"dimension": "x"}, {"from": "13-2026"}, {"to": "2026-99", "from": "2027-01"}):
        assert supervisor.get("/figures/", params=odd).status_code == 200
    assert county.get("/figures/").status_code == 403
    admin = PageSession(central.url)
    admin.login("admin")
    assert admin.get("/figures/").status_code == 200


def sampled_completed_case(device: FakeDevice) -> str:
    """Push a completed immediate case that the 10 % callback sample draws; return its number."""
    case_id = next(i for i in iter(lambda: str(uuid.uuid4()), "") if in_sample(i, 10))
    device.cases += 1
    payload = registered_payload("immediate")
    payload["org_code"] = device.org_code
    payload["case_number"] = f"S{device.cases:05d}-{device.device_id[:8]}"
    registered = device.event(case_id, ev.REGISTERED, payload)
    push(
        device,
        registered,
        device.event(case_id, ev.ACCEPTED, {}),
        device.event(case_id, ev.COMPLETED, {"outcome": "approved"}),
    )
    return payload["case_number"]


def test_a_sampled_completed_case_is_called_until_the_applicant_is_reached(
    device: FakeDevice, supervisor: PageSession, central_store: CentralStore
) -> None:
    number = sampled_completed_case(device)
    row = supervisor.get("/callbacks/").text.split(number)[1].split("</tr>")[0]
    assert "抽样回访" in row and PHONE not in row
    supervisor.post(f"/callbacks/{number}/claim", {})
    assert PHONE in supervisor.get(f"/callbacks/{number}").text
    supervisor.post(f"/callbacks/{number}/record", {"rating_id": "", "reached": "no"})
    row = supervisor.get("/callbacks/").text.split(number)[1].split("</tr>")[0]
    assert "<td>1</td>" in row  # one attempt so far
    supervisor.post(f"/callbacks/{number}/claim", {})
    answer = supervisor.post(
        f"/callbacks/{number}/record",
        {"rating_id": "", "reached": "yes", "satisfied": "no", "note": "嫌慢"},
    )
    assert answer.status_code == 303
    assert number not in supervisor.get("/callbacks/").text
    with central_store.reading() as c:
        state = central_store.case_by_number(c, number)
    assert [a["reached"] for a in state.callbacks] == [False, True]


def test_the_bad_rating_list_pages_like_the_inbox(
    device: FakeDevice, central_home: Any, database_url: str
) -> None:
    numbers = {township_bad_rating(device, days_ago=2)[0] for _ in range(3)}
    small = CentralProcess(central_home, database_url, env={"BIANMIN_INBOX_PAGE_SIZE": "2"})
    small.start()
    try:
        session = PageSession(small.url)
        session.login("jiancha")
        first = session.get("/rectifications/", params={"stage": "review"})
        assert "第 1 / " in first.text and "下一页" in first.text
        pages = int(re.search(r"第 1 / (\d+) 页", first.text).group(1))
        seen: list[str] = []
        for page in range(1, pages + 1):
            text = session.get("/rectifications/", params={"stage": "review", "page": page}).text
            rows = re.findall(r'class="mono">([^<]+)</a>', text)
            assert len(rows) <= 2
            seen += rows
        assert len(seen) == len(set(seen)) and numbers <= set(seen)
    finally:
        small.stop()


def test_a_supervisor_of_another_county_sees_and_reviews_none_of_these(
    device: FakeDevice, central: CentralProcess, central_store: CentralStore
) -> None:
    number, case_id, rid = township_bad_rating(device)
    other = PageSession(central.url)
    other.login(_user(central_store, "supervisor", "370602"), "long-enough-pw")
    assert number not in other.get("/rectifications/").text
    assert number not in other.get("/callbacks/").text
    before = central_store.case_state(case_id)
    answer = other.post(f"/rectifications/{number}/{rid}/review", {"decision": "confirm"})
    assert answer.status_code == 404 and "没有找到该办件" in answer.text
    assert other.post(f"/callbacks/{number}/claim", {}).status_code == 404
    assert central_store.case_state(case_id) == before
    figures = other.get("/figures/").text
    assert "解甲庄街道" not in figures


def test_a_claim_older_than_two_hours_lapses(
    device: FakeDevice, supervisor: PageSession, central_store: CentralStore
) -> None:
    number = sampled_completed_case(device)
    with central_store.reading() as c:
        case_id = central_store.case_by_number(c, number).case_id
    stale = {"user_id": 999_999, "username": "gone", "case_id": case_id}
    with central_store.transaction() as c:
        c.execute(
            t.callback_claims.insert().values(
                **stale, claimed_at=format_time(utc_now() - timedelta(hours=1, minutes=50))
            )
        )
    assert supervisor.post(f"/callbacks/{number}/claim", {}).status_code == 409
    with central_store.transaction() as c:
        c.execute(
            t.callback_claims.update()
            .where(t.callback_claims.c.case_id == case_id)
            .values(claimed_at=format_time(utc_now() - timedelta(hours=2, minutes=1)))
        )
    assert "gone 正在回访" not in supervisor.get("/callbacks/").text
    assert supervisor.post(f"/callbacks/{number}/claim", {}).status_code == 303
    assert PHONE in supervisor.get(f"/callbacks/{number}").text
