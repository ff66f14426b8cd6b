"""The fold's rules of joint review (联审 / 会签): several departments in parallel, then the lead unit."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest

from sync import events as ev
from sync import fold
from sync import joint_review_rules as joint
from sync.catalogue_rules import check_catalogue
from sync.demo_data import read_demo
from sync.errors import InvalidInput, NotAllowed
from tests.unit.casefactory import CaseLog, registered_payload

JOINT = {
    "level": "county",
    "lead": "自然资源",
    "departments": [
        {"name": "自然资源", "days": 5},
        {"name": "农业农村", "days": 5},
        {"name": "住建", "days": 3},
    ],
}
FORWARD = {"opinion": "村级审查通过，同意上报。", "conclusion": "agree", "to_org": "370613"}
ON_TO_CITY = {"opinion": "联审通过，请市政府审批。", "conclusion": "agree", "to_org": "370600"}
APPROVE = {"outcome": "approved", "document_number": "莱自然〔2026〕3号", "by_org": "370613"}
# Opened on Tuesday 2026-09-29 (China): the National Day holiday (10-01 to 10-07) and the
# adjusted working Saturday 10-10 lie inside every department's limit.
OPENED_AT = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
DUES = {"自然资源": "2026-10-12", "农业农村": "2026-10-12", "住建": "2026-10-09"}


def opened_payload(dues: dict[str, str] = DUES) -> dict[str, object]:
    return {
        "by_org": "370613",
        "departments": [{"department": name, "due": due} for name, due in dues.items()],
        "note": "",
    }


def opinion(department: str, conclusion: str = "agree", text: str = "符合规划，同意。") -> dict:
    return {"by_org": "370613", "department": department, "conclusion": conclusion, "text": text}


def joint_case(route: list[str]) -> tuple[CaseLog, CaseLog]:
    """Return the township's and central's logs of a joint-review case forwarded to the county."""
    township = CaseLog()
    payload = registered_payload("forwarded")
    payload["item"]["route"] = route
    payload["item"]["joint_review"] = copy.deepcopy(JOINT)
    township.add(ev.REGISTERED, payload)
    township.add(ev.ACCEPTED)
    township.add(ev.FORWARDED, FORWARD)
    central = CaseLog(writer=ev.CENTRAL_WRITER)
    central.moment = OPENED_AT
    return township, central


def fold_both(township: CaseLog, central: CaseLog) -> fold.CaseState:
    return fold.fold(sorted(township.events + central.events, key=lambda e: e.at))


def test_all_three_departments_answer_then_the_lead_unit_decides():
    township, central = joint_case(["county"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload())
    for name in ("农业农村", "住建", "自然资源"):  # in any order: they review in parallel
        central.add(ev.JOINT_OPINION, opinion(name))
    central.add(ev.DECIDED, APPROVE)
    state = fold_both(township, central)
    assert state.state == fold.DECIDED
    (round_,) = state.joint_reviews
    assert round_["status"] == joint.COMPLETE
    assert [d["department"] for d in round_["departments"]] == ["自然资源", "农业农村", "住建"]
    assert all(d["opinion"]["conclusion"] == "agree" for d in round_["departments"])


@pytest.mark.parametrize(
    ("answered", "waiting"),
    [
        ((), "自然资源、农业农村、住建"),
        (("住建",), "自然资源、农业农村"),
        (("自然资源", "住建"), "农业农村"),
    ],
)
def test_a_decision_before_every_opinion_is_in_is_refused_naming_who_is_missing(answered, waiting):
    township, central = joint_case(["county"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload())
    for name in answered:
        central.add(ev.JOINT_OPINION, opinion(name))
    state = fold_both(township, central)
    with pytest.raises(NotAllowed) as refused:
        fold.apply_event(state, central.add(ev.DECIDED, APPROVE))
    assert str(refused.value) == f"联审尚未结束：{waiting} 尚未提出意见，不能审批或转报。"


def test_a_decision_without_opening_the_joint_review_is_refused():
    township, central = joint_case(["county"])
    state = fold_both(township, central)
    with pytest.raises(
        NotAllowed, match="须经多部门联审（自然资源、农业农村、住建），请先发起联审"
    ):
        fold.apply_event(state, central.add(ev.DECIDED, APPROVE))


def test_the_county_forwards_on_to_the_city_only_after_its_joint_review():
    township, central = joint_case(["county", "city"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload())
    central.add(ev.JOINT_OPINION, opinion("自然资源"))
    state = fold_both(township, central)
    with pytest.raises(NotAllowed, match="农业农村、住建 尚未提出意见"):
        fold.apply_event(state, central.add(ev.FORWARDED, ON_TO_CITY))
    central.events.pop()
    central.add(ev.JOINT_OPINION, opinion("农业农村"))
    central.add(ev.JOINT_OPINION, opinion("住建", "disagree", "距离道路红线不足，建议调整。"))
    central.add(ev.FORWARDED, ON_TO_CITY)
    central.add(ev.DECIDED, {**APPROVE, "by_org": "370600"})  # the city has no joint step
    state = fold_both(township, central)
    assert state.state == fold.DECIDED


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (opinion("财政"), "“财政”不在本次联审的部门之中"),
        ({**opinion("住建"), "by_org": "370602"}, "只有联审单位的部门才能提出联审意见"),
        ({**opinion("住建"), "conclusion": "maybe"}, "请选择联审结论"),
        ({**opinion("住建"), "text": "  "}, "请填写联审意见"),
        ({**opinion("住建"), "department": 7}, "缺少提出意见的部门"),
    ],
)
def test_a_bad_opinion_is_refused(payload, message):
    township, central = joint_case(["county"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload())
    state = fold_both(township, central)
    with pytest.raises((InvalidInput, NotAllowed), match=message):
        fold.apply_event(state, central.add(ev.JOINT_OPINION, payload))


def test_a_department_cannot_give_its_opinion_twice():
    township, central = joint_case(["county"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload())
    central.add(ev.JOINT_OPINION, opinion("住建"))
    state = fold_both(township, central)
    with pytest.raises(NotAllowed) as refused:
        fold.apply_event(state, central.add(ev.JOINT_OPINION, opinion("住建", "disagree")))
    assert str(refused.value) == "“住建”已经提出过联审意见，不能重复提出。"


def test_an_opinion_without_an_open_round_is_refused():
    township, central = joint_case(["county"])
    state = fold_both(township, central)
    with pytest.raises(NotAllowed, match="没有进行中的联审"):
        fold.apply_event(state, central.add(ev.JOINT_OPINION, opinion("住建")))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({**opened_payload(), "by_org": "370600"}, "只有当前办理该办件的单位才能发起联审"),
        (
            opened_payload({"自然资源": "2026-10-12", "住建": "2026-10-09"}),
            "须与事项目录规定的一致",
        ),
        (opened_payload({**DUES, "住建": "2026-09-28"}), "“住建”的办理期限不正确"),
        (opened_payload({**DUES, "住建": "十月九日"}), "“住建”的办理期限不正确"),
    ],
)
def test_a_bad_opening_is_refused(payload, message):
    township, central = joint_case(["county"])
    state = fold_both(township, central)
    with pytest.raises((InvalidInput, NotAllowed), match=message):
        fold.apply_event(state, central.add(ev.JOINT_REVIEW_OPENED, payload))


def test_a_round_cannot_be_opened_twice():
    township, central = joint_case(["county"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload())
    state = fold_both(township, central)
    with pytest.raises(NotAllowed, match="联审已经发起"):
        fold.apply_event(state, central.add(ev.JOINT_REVIEW_OPENED, opened_payload()))


def test_an_item_without_a_joint_step_cannot_open_one_and_decides_as_before():
    township = CaseLog()
    township.add(ev.REGISTERED, registered_payload("forwarded"))
    township.add(ev.ACCEPTED)
    township.add(ev.FORWARDED, FORWARD)
    central = CaseLog(writer=ev.CENTRAL_WRITER)
    central.moment = OPENED_AT
    state = fold_both(township, central)
    with pytest.raises(NotAllowed, match="在本级没有联审环节"):
        fold.apply_event(state, central.add(ev.JOINT_REVIEW_OPENED, opened_payload()))
    central.events.pop()
    central.add(ev.DECIDED, APPROVE)
    assert fold_both(township, central).state == fold.DECIDED


def test_a_township_device_cannot_write_joint_review_events():
    township, central = joint_case(["county"])
    state = fold_both(township, central)
    township.moment = OPENED_AT
    with pytest.raises(NotAllowed, match="联审只在中心进行"):
        fold.apply_event(state, township.add(ev.JOINT_REVIEW_OPENED, opened_payload()))


def test_a_return_ends_the_round_and_the_case_forwarded_again_needs_a_new_one():
    township, central = joint_case(["county"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload())
    central.add(ev.JOINT_OPINION, opinion("住建", "disagree", "缺少宅基地四至图。"))
    central.add(
        ev.RETURNED, {"missing": [{"code": "", "name": "宅基地四至图"}], "by_org": "370613"}
    )
    township.moment = central.moment
    township.add(ev.SUPPLEMENT_RECEIVED, {"materials": []})
    township.add(ev.FORWARDED, FORWARD)
    central.moment = township.moment
    state = fold_both(township, central)
    assert [r["status"] for r in state.joint_reviews] == [joint.CLOSED]
    with pytest.raises(NotAllowed, match="请先发起联审"):
        fold.apply_event(state, central.add(ev.DECIDED, APPROVE))
    central.events.pop()
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload({k: "2026-10-30" for k in DUES}))
    for name in DUES:
        central.add(ev.JOINT_OPINION, opinion(name))
    central.add(ev.DECIDED, APPROVE)
    state = fold_both(township, central)
    assert [r["status"] for r in state.joint_reviews] == [joint.CLOSED, joint.COMPLETE]
    assert state.state == fold.DECIDED


def test_a_state_stored_before_joint_review_existed_folds_back_the_same():
    township, central = joint_case(["county"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload())
    state = fold_both(township, central)
    assert fold.CaseState.from_dict(state.to_dict()) == state
    old = state.to_dict()
    old.pop("joint_reviews")
    assert fold.CaseState.from_dict(old).joint_reviews == ()


# --- Deadlines: a parallel step with one late department ------------------------------------------


def test_each_department_gets_its_own_due_date_across_the_national_day_holiday():
    # Hand-worked from the State Council's 2026 notice: 10-01..10-07 off, Saturday 10-10 worked.
    # 5 working days after Tue 09-29: 09-30, 10-08, 10-09, 10-10, 10-12; 3: 09-30, 10-08, 10-09.
    assert joint.due_dates(JOINT, date(2026, 9, 29)) == [
        {"department": "自然资源", "due": "2026-10-12"},
        {"department": "农业农村", "due": "2026-10-12"},
        {"department": "住建", "due": "2026-10-09"},
    ]


def test_a_parallel_step_with_one_late_department():
    township, central = joint_case(["county"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload(), after=None)
    # 自然资源 answers on 10-08, in time; 住建 (due 10-09) is still silent on Saturday 10-10.
    central.moment = datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
    central.add(ev.JOINT_OPINION, opinion("自然资源"), after=None)
    (round_,) = fold_both(township, central).joint_reviews
    progress = {p.department: p for p in joint.department_progress(round_, date(2026, 10, 10))}
    assert progress["住建"].overdue and progress["住建"].light == "red"
    assert not progress["农业农村"].overdue and progress["农业农村"].days_left == 1
    assert progress["农业农村"].light == "yellow"
    assert progress["自然资源"].opinion is not None and not progress["自然资源"].late
    assert progress["自然资源"].light == "green"
    # 住建 answers on Monday 10-12 (late), 农业农村 the same day (its due day: in time).
    central.moment = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)
    central.add(ev.JOINT_OPINION, opinion("住建"))
    central.add(ev.JOINT_OPINION, opinion("农业农村"))
    central.add(ev.DECIDED, APPROVE)  # late or not, every opinion is in: the lead unit decides
    state = fold_both(township, central)
    (round_,) = state.joint_reviews
    late = {d["department"]: d["opinion"]["late"] for d in round_["departments"]}
    assert late == {"自然资源": False, "农业农村": False, "住建": True}
    assert round_["completed_on"] == "2026-10-12"
    progress = {p.department: p for p in joint.department_progress(round_, date(2026, 10, 20))}
    assert progress["住建"].late and not progress["住建"].overdue
    assert [p.department for p in progress.values() if p.light == "red"] == ["住建"]


# --- The catalogue's parallel step ------------------------------------------------------------------


def test_the_demo_rural_housing_item_runs_a_joint_review_of_three_departments_at_the_county():
    catalogue = read_demo("catalogue.json")
    check_catalogue(catalogue)
    item = next(i for i in catalogue["items"] if i["code"] == "370613-NY-001")
    assert item["name"] == "农村村民住宅用地审批（不涉及占用农用地）"
    assert joint.joint_definition(item["joint_review"], item["route"]) == {
        "level": "county",
        "lead": "农业农村",
        "departments": [
            {"name": "农业农村", "days": 5},
            {"name": "自然资源", "days": 5},
            {"name": "住建", "days": 3},
        ],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"level": "city"}, "须设在事项审批层级中的一级"),
        ({"departments": [{"name": "自然资源", "days": 5}]}, "联审须有 2 至 12 个部门"),
        (
            {"departments": [{"name": "自然资源", "days": 0}, {"name": "住建", "days": 3}]},
            "1 至 60 个工作日",
        ),
        (
            {"departments": [{"name": "住建", "days": 3}, {"name": "住建", "days": 3}]},
            "联审部门重复",
        ),
        ({"lead": "财政"}, "牵头部门"),
        ({"departments": "自然资源、住建"}, "联审须有 2 至 12 个部门"),
    ],
)
def test_a_catalogue_with_a_bad_joint_step_is_refused_naming_the_item(change, message):
    catalogue = copy.deepcopy(read_demo("catalogue.json"))
    item = next(i for i in catalogue["items"] if i["code"] == "370613-NY-001")
    item["joint_review"] = {**JOINT, **change}
    with pytest.raises(InvalidInput, match=f"370613-NY-001.*联审环节.*{message}"):
        check_catalogue(catalogue)


def test_supervision_warns_red_for_the_late_department_and_yellow_for_the_one_due_next():
    from sync.supervision_rules import JOINT, case_warnings

    township, central = joint_case(["county"])
    central.add(ev.JOINT_REVIEW_OPENED, opened_payload())
    central.moment = datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
    central.add(ev.JOINT_OPINION, opinion("自然资源"))
    state = fold_both(township, central)
    warnings = [w for w in case_warnings(state, date(2026, 10, 10)) if w.stage == JOINT]
    assert [(w.subject.split(":")[1], w.level, w.unit, w.due_on) for w in warnings] == [
        ("农业农村", "yellow", "370613", date(2026, 10, 12)),
        ("住建", "red", "370613", date(2026, 10, 9)),
    ]
    assert warnings[1].message.startswith("联审意见（住建）：")
    # Once 住建 answers (late), its warning is gone; the round's end clears them all.
    central.moment = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)
    central.add(ev.JOINT_OPINION, opinion("住建"))
    state = fold_both(township, central)
    left = [w for w in case_warnings(state, date(2026, 10, 12)) if w.stage == JOINT]
    assert [w.subject.split(":")[1] for w in left] == ["农业农村"]
    central.add(ev.JOINT_OPINION, opinion("农业农村"))
    state = fold_both(township, central)
    assert not [w for w in case_warnings(state, date(2026, 10, 12)) if w.stage == JOINT]
