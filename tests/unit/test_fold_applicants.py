"""The fold's applicant rules: legal persons and other identity documents in a `registered`
payload, the item's accepted kinds, and old payloads folding to the same state as before."""

from __future__ import annotations

import copy

import pytest

from sync import events as ev
from sync import fold
from sync.catalogue_rules import BadCatalogue, check_catalogue, snapshot_of
from sync.demo_data import read_demo
from sync.errors import InvalidInput
from tests.unit.casefactory import CaseLog, registered_payload

ENTERPRISE = {
    "kind": "enterprise",
    "name": "烟台市莱山区示例建材有限公司",
    "credit_code": "91350100m000100y43",
    "legal_rep": "王建国",
    "contact": "",
    "phone": "0535-6612345",
    "address": "工业园1号",
    "village_code": "",
}


def payload(applicant=None, kinds=None, proxy=None):
    p = registered_payload("promised")
    if applicant is not None:
        p["applicant"] = applicant
    if kinds is not None:
        p["item"]["applicant_kinds"] = kinds
    p["proxy"] = proxy
    return p


def fold_one(p) -> fold.CaseState:
    log = CaseLog()
    log.add(ev.REGISTERED, p)
    return fold.fold(log.events)


def test_a_resident_id_applicant_folds_exactly_as_before_the_new_kinds():
    state = fold_one(payload())
    assert state.applicant == {
        "name": "张三",
        "id_number": "11010519491231002X",
        "phone": "13800138000",
        "address": "解甲庄1号",
        "village_code": "370613004201",
    }
    assert "applicant_kinds" not in state.item


def test_an_enterprise_registers_under_an_item_that_accepts_enterprises():
    state = fold_one(payload(ENTERPRISE, ["person", "enterprise"]))
    assert state.applicant["kind"] == "enterprise"
    assert state.applicant["credit_code"] == "91350100M000100Y43"
    assert state.item["applicant_kinds"] == ["person", "enterprise"]


@pytest.mark.parametrize(
    ("kinds", "applicant", "message"),
    [
        (None, ENTERPRISE, "该事项不受理企业申请，只受理：自然人。"),
        (["village_collective"], ENTERPRISE, "该事项不受理企业申请，只受理：村集体经济组织。"),
        (
            ["enterprise", "social_org"],
            None,
            "该事项不受理自然人申请，只受理：企业、社会组织。",
        ),
    ],
)
def test_an_applicant_of_a_kind_the_item_does_not_accept_is_refused(kinds, applicant, message):
    with pytest.raises(InvalidInput) as refused:
        fold_one(payload(applicant, kinds))
    assert refused.value.message == message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"credit_code": "91350100M000100Y42"}, "统一社会信用代码校验位不正确，请核对是否抄错。"),
        ({"legal_rep": " "}, "请填写法定代表人（负责人）姓名。"),
        ({"name": ""}, "请填写单位名称。"),
        ({"phone": "12"}, "联系电话应为11位手机号码，或带区号的固定电话（如0535-6612345）。"),
        ({"phone": ""}, "请填写单位联系电话。"),
        ({"kind": "company"}, "申请人类型不正确。"),
        ({"credit_code": 91350100}, "请填写统一社会信用代码。"),
    ],
)
def test_a_legal_person_with_a_wrong_field_is_refused_with_its_message(change, message):
    with pytest.raises(InvalidInput) as refused:
        fold_one(payload({**ENTERPRISE, **change}, ["enterprise"]))
    assert refused.value.message == message


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        ("hk_macao_permit", "H12345678"),
        ("taiwan_permit", "12345678"),
        ("residence_permit", "830000200101010015"),
        ("foreign_permanent", "911156198807120011"),
        ("foreign_permanent", "USA110088071215"),
        ("passport", "E12345678"),
    ],
)
def test_a_person_with_another_document_is_kept_with_its_type(id_type, number):
    applicant = {**registered_payload()["applicant"], "id_type": id_type, "id_number": number}
    state = fold_one(payload(applicant))
    assert state.applicant["id_type"] == id_type
    assert state.applicant["id_number"] == number


def test_an_unknown_document_type_or_a_wrong_number_is_refused():
    applicant = registered_payload()["applicant"]
    with pytest.raises(InvalidInput, match="证件类型不正确"):
        fold_one(payload({**applicant, "id_type": "library_card"}))
    with pytest.raises(InvalidInput, match="台湾居民来往大陆通行证号码应为8位数字"):
        fold_one(payload({**applicant, "id_type": "taiwan_permit", "id_number": "123"}))


def test_a_proxy_may_hold_another_document_and_an_agent_id_but_not_be_a_legal_person():
    proxy = {
        "name": "赵代办",
        "id_type": "passport",
        "id_number": "E12345678",
        "phone": "",
        "relation": "企业代办员",
        "agent_id": "a-1",
    }
    state = fold_one(payload(ENTERPRISE, ["enterprise"], proxy))
    assert state.proxy == proxy
    with pytest.raises(InvalidInput, match="代办人只能是自然人"):
        fold_one(payload(None, None, {**ENTERPRISE, "relation": ""}))
    with pytest.raises(InvalidInput, match="企业代办员编号不正确"):
        fold_one(payload(ENTERPRISE, ["enterprise"], {**proxy, "agent_id": 7}))


def test_the_catalogue_refuses_an_item_with_unknown_applicant_kinds():
    catalogue = copy.deepcopy(read_demo("catalogue.json"))
    check_catalogue(catalogue)
    catalogue["items"][0]["applicant_kinds"] = ["person", "company"]
    with pytest.raises(BadCatalogue) as refused:
        check_catalogue(catalogue)
    assert "可申请的申请人类型" in refused.value.message and "company" in refused.value.message
    catalogue["items"][0]["applicant_kinds"] = []
    with pytest.raises(BadCatalogue, match="应为非空列表"):
        check_catalogue(catalogue)


def test_the_demo_catalogue_has_items_for_each_legal_person_kind():
    catalogue = read_demo("catalogue.json")
    kinds = {k for item in catalogue["items"] for k in item.get("applicant_kinds", ["person"])}
    assert kinds == {"person", "enterprise", "social_org", "village_collective"}
    road = next(i for i in catalogue["items"] if i["code"] == "370613-CG-001")
    assert snapshot_of(road, "v")["applicant_kinds"] == ["person", "enterprise", "social_org"]
