"""Joint review (联审) at central over real HTTP: the lead unit opens the round, three departments
answer in parallel from their own lists, and only then may the lead unit decide; every refusal
changes nothing."""

from __future__ import annotations

import re
import uuid

import pytest

from central_api import users
from central_api.stores.store import CentralStore
from sync.errors import InvalidInput
from sync.events import utc_now
from tests.support.central import CentralProcess, FakeDevice
from tests.support.reviewer import PageSession, push_joint_case

DEPARTMENTS = {"nongye": "农业农村", "ziyuan": "自然资源", "zhujian": "住建"}


def session_of(central: CentralProcess, username: str) -> PageSession:
    session = PageSession(central.url)
    assert session.login(username).status_code == 303
    return session


def department_user(store: CentralStore, department: str, org: str = "370613") -> str:
    name = f"d{uuid.uuid4().hex[:10]}"
    users.create_user(
        store, username=name, display_name="测试部门", role="dept_reviewer", org_code=org,
        password="long-enough-pw", now=utc_now(), department=department,
    )  # fmt: skip
    return name


def events_of(store: CentralStore, number: str) -> int:
    with store.reading() as c:
        state = store.case_by_number(c, number)
    return state.event_count


def test_a_department_reviewer_lands_on_the_joint_review_list(central: CentralProcess) -> None:
    session = PageSession(central.url)
    answer = session.login("ziyuan")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/review/joint/")
    page = session.get("/review/joint/")
    assert page.status_code == 200 and "联审待办（自然资源）" in page.text
    assert "没有待提出意见的联审办件" in page.text


def test_three_departments_answer_in_parallel_then_the_lead_unit_decides(
    central: CentralProcess, device: FakeDevice, central_store: CentralStore
) -> None:
    number = push_joint_case(device)
    county = session_of(central, "xianshen")
    ziyuan, nongye, zhujian = (session_of(central, u) for u in ("ziyuan", "nongye", "zhujian"))
    case_path = f"/review/cases/{number}"

    # Before the round is opened the departments do not see the case, and no decision goes.
    assert ziyuan.get(case_path).status_code == 404
    page = county.get(case_path)
    assert "发起联审" in page.text and "农业农村（牵头）（5 个工作日）" in page.text
    refused = county.post(f"{case_path}/approve", {"document_number": "莱农〔2026〕1号"})
    assert refused.status_code == 409
    assert "须经多部门联审（农业农村、自然资源、住建），请先发起联审" in refused.text

    opened = county.post(f"{case_path}/joint/open", {"note": "请于期限内实地核查"})
    assert opened.status_code == 303
    again = county.post(f"{case_path}/joint/open", {})
    assert again.status_code == 409 and "联审已经发起" in again.text

    for session in (ziyuan, nongye, zhujian):
        waiting = session.get("/review/joint/").text.split('id="joint-answered"')[0]
        assert number in waiting
    nongye_page = nongye.get(case_path)
    assert "提出农业农村部门意见" in nongye_page.text
    answered = nongye.post(
        f"{case_path}/joint/opinion", {"conclusion": "agree", "text": "符合一户一宅，同意。"}
    )
    assert answered.status_code == 303 and answered.headers["Location"].endswith("/review/joint/")

    count = events_of(central_store, number)
    twice = nongye.post(f"{case_path}/joint/opinion", {"conclusion": "disagree", "text": "再议"})
    assert twice.status_code == 409 and "“农业农村”已经提出过联审意见，不能重复提出。" in twice.text
    empty = ziyuan.post(f"{case_path}/joint/opinion", {"conclusion": "agree", "text": "  "})
    assert empty.status_code == 422 and "请填写联审意见" in empty.text
    early = county.post(f"{case_path}/approve", {"document_number": "莱农〔2026〕1号"})
    assert early.status_code == 409
    assert "联审尚未结束：自然资源、住建 尚未提出意见，不能审批或转报。" in early.text
    assert events_of(central_store, number) == count  # the refusals changed nothing

    assert (
        ziyuan.post(
            f"{case_path}/joint/opinion", {"conclusion": "agree", "text": "符合村庄规划。"}
        ).status_code
        == 303
    )
    assert (
        zhujian.post(
            f"{case_path}/joint/opinion",
            {"conclusion": "disagree", "text": "建筑层数超标，建议按两层设计。"},
        ).status_code
        == 303
    )
    page = county.get(case_path)
    assert "联审意见已齐" in page.text and "建筑层数超标" in page.text
    approved = county.post(f"{case_path}/approve", {"document_number": "莱农〔2026〕1号"})
    assert approved.status_code == 303
    with central_store.reading() as c:
        state = central_store.case_by_number(c, number)
    assert state.state == "decided" and state.result["document_number"] == "莱农〔2026〕1号"
    (round_,) = state.joint_reviews
    assert {d["department"]: d["opinion"]["by"] for d in round_["departments"]} == {
        "农业农村": "nongye",
        "自然资源": "ziyuan",
        "住建": "zhujian",
    }
    # The resident's progress shows the joint review as one line, without the opinions.
    progress = county.http.get(
        f"{central.url}/api/v1/progress",
        params={"case_number": number, "query_code": state.query_code},
        timeout=30,
    ).json()
    joint_lines = [s for s in progress["timeline"] if s["stage"].startswith("joint")]
    assert joint_lines == [
        {
            **joint_lines[0],
            "stage": "joint_review_opened",
            "label": "多部门联审中（各部门同时审查）",
        }
    ]
    assert "建筑层数超标" not in str(progress)
    # Each opinion is on the timeline; the department still reads the case it answered.
    timeline = ziyuan.get(case_path).text
    assert len(re.findall(r"<td>联审意见</td>", timeline)) == 3
    assert "住建：不同意，建筑层数超标" in timeline


def test_only_the_asked_departments_of_the_lead_unit_see_and_answer(
    central: CentralProcess, device: FakeDevice, central_store: CentralStore
) -> None:
    number = push_joint_case(device)
    county = session_of(central, "xianshen")
    assert county.post(f"/review/cases/{number}/joint/open", {}).status_code == 303
    count = events_of(central_store, number)
    path = f"/review/cases/{number}"
    outsiders = [
        department_user(central_store, "财政"),  # not asked
        department_user(central_store, "住建", org="370602"),  # asked, but of another county
    ]
    for name in outsiders:
        session = PageSession(central.url)
        assert session.login(name, "long-enough-pw").status_code == 303
        assert session.get(path).status_code == 404
        answer = session.post(f"{path}/joint/opinion", {"conclusion": "agree", "text": "同意"})
        assert answer.status_code == 404 and "不属于您所在单位办理" in answer.text
        assert number not in session.get("/review/joint/").text
    # A department reviewer decides nothing; a county reviewer gives no department opinion.
    zhujian = session_of(central, "zhujian")
    assert zhujian.post(f"{path}/approve", {"document_number": "x"}).status_code == 403
    assert zhujian.post(f"{path}/joint/open", {}).status_code == 403
    assert (
        county.post(f"{path}/joint/opinion", {"conclusion": "agree", "text": "同意"}).status_code
        == 403
    )
    assert events_of(central_store, number) == count


def test_an_item_without_a_joint_step_cannot_open_one(
    central: CentralProcess, device: FakeDevice
) -> None:
    events = device.forwarded_case()
    assert device.push(device.pack(events))[0]["status"] == "accepted"
    number = events[0].payload["case_number"]
    county = session_of(central, "xianshen")
    assert "发起联审" not in county.get(f"/review/cases/{number}").text
    answer = county.post(f"/review/cases/{number}/joint/open", {})
    assert answer.status_code == 409 and "该事项在本级没有联审环节" in answer.text


def test_a_department_reviewer_must_have_a_department(central_store: CentralStore) -> None:
    with pytest.raises(InvalidInput, match="须填写所属部门"):
        department_user(central_store, " ")
