"""The fold's rules for corrections (更正): old and new values of each change, the old one checked
against the case, the new one validated; a decided case corrected only by the township reviewer;
a proxy added only with its entrustment; a proxy application at registration needs its 委托书."""

from __future__ import annotations

from typing import Any

import pytest

from sync import events as ev
from sync import fold
from sync.correction_rules import check_entrustment, needs_reviewer
from sync.errors import InvalidInput, NotAllowed
from tests.unit.casefactory import CaseLog, registered_payload

ID_OLD = "11010519491231002X"
ID_NEW = "370613198001010011"
PROXY = {"name": "李四", "id_number": ID_NEW, "phone": "", "relation": "儿子"}


def correction(*changes: dict[str, Any], role: str = "clerk", reason: str = "登记时录入错误"):
    return {"reason": reason, "role": role, "changes": list(changes)}


def change(field: str, old: Any, new: Any) -> dict[str, Any]:
    return {"field": field, "old": old, "new": new}


def case(kind: str = "promised") -> CaseLog:
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload(kind))
    return log


def folded(log: CaseLog, *steps: tuple[str, dict[str, Any]]) -> fold.CaseState:
    for event_type, payload in steps:
        log.add(event_type, payload)
    return fold.fold(log.events)


def test_a_correction_changes_the_applicant_and_counts_in_the_state():
    state = folded(
        case(),
        (
            ev.CORRECTED,
            correction(
                change("applicant.name", "张三", "张山"),
                change("applicant.id_number", ID_OLD, ID_NEW),
                change("applicant.phone", "13800138000", "139 0535 1234"),
                change("applicant.address", "解甲庄1号", "解甲庄2号"),
            ),
        ),
    )
    assert state.applicant["name"] == "张山"
    assert state.applicant["id_number"] == ID_NEW
    assert state.applicant["phone"] == "13905351234"  # normalised as a mobile number
    assert state.applicant["address"] == "解甲庄2号"
    assert state.corrections == 1 and state.state == "draft"


def test_a_material_correction_marks_it_received_and_lets_the_case_be_accepted():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload(complete=False))
    with pytest.raises(NotAllowed, match="必要材料尚未收齐"):
        folded(log, (ev.ACCEPTED, {}))
    log.events.pop()
    state = folded(
        log, (ev.CORRECTED, correction(change("material.M01", False, True))), (ev.ACCEPTED, {})
    )
    assert state.materials[0]["received"] and state.state == "accepted"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ([], InvalidInput, "没有需要更正的内容"),
        ([change("applicant.name", "张三", "张三")], InvalidInput, "没有需要更正的内容"),
        ([change("applicant.name", "李四", "张山")], NotAllowed, "更正前的内容与办件当前记录不符"),
        ([change("applicant.name", "张三", " ")], InvalidInput, "请填写申请人姓名"),
        (
            [change("applicant.id_number", ID_OLD, "110105194912310021")],
            InvalidInput,
            "校验位不正确",
        ),
        ([change("applicant.phone", "13800138000", "12345")], InvalidInput, "手机号码"),
        ([change("applicant.village_code", "", "x")], InvalidInput, "不能更正"),
        ([change("material.M09", False, True)], InvalidInput, "没有编码为 M09 的材料"),
        ([change("material.M02", True, False)], NotAllowed, "更正前的内容与办件当前记录不符"),
        ([change("material.M02", False, "yes")], InvalidInput, "更正内容格式不正确"),
        ([{"field": "applicant.name", "new": "张山"}], InvalidInput, "更正内容格式不正确"),
        (
            [change("applicant.name", "张三", "张山"), change("applicant.name", "张三", "张珊")],
            InvalidInput,
            "更正内容格式不正确",
        ),
        ([change("proxy", None, PROXY)], InvalidInput, "须收取申请人签字"),
        ([change("proxy", {"name": "x"}, None)], NotAllowed, "更正前的内容与办件当前记录不符"),
    ],
)
def test_a_wrong_correction_is_refused_with_its_reason(changes, error, message):
    log = case()
    with pytest.raises(error, match=message):
        folded(log, (ev.CORRECTED, correction(*changes)))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"role": "clerk", "changes": [change("applicant.name", "张三", "张山")]},
            "请填写更正原因",
        ),
        (
            {"reason": "x", "changes": [change("applicant.name", "张三", "张山")]},
            "缺少更正人的岗位",
        ),
        (
            {
                "reason": "x" * 501,
                "role": "clerk",
                "changes": [change("applicant.name", "张三", "a")],
            },
            "更正原因过长",
        ),
    ],
)
def test_a_correction_needs_its_reason_and_role(payload, message):
    with pytest.raises(InvalidInput, match=message):
        folded(case(), (ev.CORRECTED, payload))


def test_a_proxy_is_added_with_its_entrustment_received_and_removed_again():
    state = folded(
        case(),
        (
            ev.CORRECTED,
            correction(change("material.M02", False, True), change("proxy", None, PROXY)),
        ),
    )
    assert state.proxy == PROXY
    removed = folded(
        case(),
        (
            ev.CORRECTED,
            correction(change("material.M02", False, True), change("proxy", None, PROXY)),
        ),
        (ev.CORRECTED, correction(change("proxy", PROXY, None))),
    )
    assert removed.proxy is None and removed.corrections == 2


def test_a_decided_case_is_corrected_only_by_the_township_reviewer():
    log = case()
    done = {"outcome": "approved", "document_number": "民〔2026〕1号"}
    state = folded(log, (ev.ACCEPTED, {}), (ev.COMPLETED, done))
    assert needs_reviewer(state)
    with pytest.raises(NotAllowed, match="更正须由乡镇审核人员进行"):
        folded(log, (ev.CORRECTED, correction(change("applicant.name", "张三", "张山"))))
    log.events.pop()
    state = folded(
        log,
        (ev.CORRECTED, correction(change("applicant.name", "张三", "张山"), role="reviewer")),
    )
    assert state.applicant["name"] == "张山" and state.state == "completed"


def test_a_required_material_is_not_corrected_to_missing_after_acceptance():
    log = case()
    with pytest.raises(NotAllowed, match="不能把必要材料「身份证」更正为未收"):
        folded(
            log, (ev.ACCEPTED, {}), (ev.CORRECTED, correction(change("material.M01", True, False)))
        )


SCAN = {"sha256": "a" * 64, "size": 1, "media_type": "application/pdf", "filename": ""}


@pytest.mark.parametrize(
    ("materials", "scan_required", "message"),
    [
        ([], False, "须收取申请人签字"),
        ([{"name": "委托书", "received": False, "files": []}], False, "须收取申请人签字"),
        ([{"name": "委托书", "received": True, "files": []}], True, "须上传申请人签字"),
        ([{"name": "委托书", "received": True, "files": []}], False, None),
        ([{"name": "委托书", "received": False, "files": [SCAN]}], True, None),
    ],
)
def test_a_proxy_application_needs_its_entrustment(materials, scan_required, message):
    if message is None:
        check_entrustment(materials, PROXY, scan_required=scan_required)
        return
    with pytest.raises(InvalidInput, match=message):
        check_entrustment(materials, PROXY, scan_required=scan_required)
    check_entrustment(materials, None, scan_required=scan_required)  # no proxy: nothing needed
