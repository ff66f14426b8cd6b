"""Applicants beyond resident ID cards at the window, over real HTTP against a real township
process: a legal-person application, each other identity document accepted and refused with its
message, the item's accepted kinds, and the enterprise agents' registry with its marked cases."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import uuid
from pathlib import Path

import pytest

from tests.support.township import Browserless

CATALOGUE = json.loads(
    (Path(__file__).resolve().parents[2] / "sync/demo/catalogue.json").read_text("utf-8")
)
ITEMS = {item["code"]: item for item in CATALOGUE["items"]}
ROAD = "370613-CG-001"  # 临时占用道路、公共场地审批: persons, enterprises, social organisations
COLLECTIVE = "370613-NY-003"  # 农村集体经济组织登记赋码: village collectives only
PERSONS_ONLY = "370613-MZ-003"  # 临时救助: natural persons only (the item says nothing)
CREDIT_CODE = "91350100M000100Y43"  # GB 32100's worked example
COLLECTIVE_CODE = "N2370613MF0000000B"  # a village collective (N2…)


def form(item_code: str, **fields: str) -> list[tuple[str, str]]:
    """The intake form with every material ticked and the given applicant fields."""
    data = [("case_id", str(uuid.uuid4())), *fields.items()]
    data += [("received", m["code"]) for m in ITEMS[item_code]["materials"]]
    return data


def registered(home: Path) -> list[dict]:
    """Return the applicants and proxies of the registered cases, from the database file."""
    conn = sqlite3.connect(home / "township.db")
    try:
        rows = conn.execute(
            "SELECT payload FROM events WHERE type = 'registered' ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(r[0]) for r in rows]


def case_count(home: Path) -> int:
    conn = sqlite3.connect(home / "township.db")
    try:
        return conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    finally:
        conn.close()


def test_an_enterprise_applies_with_its_credit_code_and_the_case_shows_it(
    clerk: Browserless, demo_home: Path
):
    response = clerk.post(
        f"/intake/new/{ROAD}",
        form(
            ROAD,
            applicant_kind="enterprise",
            name="烟台市莱山区示例建材有限公司",
            credit_code=CREDIT_CODE.lower(),
            legal_rep="王建国",
            contact="李经办",
            phone="0535-6612345",
            address="莱山区解甲庄街道工业园1号",
        ),
    )
    assert response.status_code == 200, response.text[:600]
    assert "/cases/" in response.url
    page = html.unescape(response.text)
    assert "烟台市莱山区示例建材有限公司" in page
    assert CREDIT_CODE in page and "王建国" in page and "企业" in page
    [payload] = registered(demo_home)
    assert payload["applicant"] == {
        "kind": "enterprise",
        "name": "烟台市莱山区示例建材有限公司",
        "credit_code": CREDIT_CODE,
        "legal_rep": "王建国",
        "contact": "李经办",
        "phone": "0535-6612345",
        "address": "莱山区解甲庄街道工业园1号",
        "village_code": "",
    }
    # The case is found by its credit code, as a person's case by the ID number.
    found = clerk.get("/cases/", params={"q": CREDIT_CODE[-6:]})
    assert "烟台市莱山区示例建材有限公司" in html.unescape(found.text)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"credit_code": "91350100M000100Y42"}, "credit_code", "统一社会信用代码校验位不正确"),
        (
            {"credit_code": "91350100M00010"},
            "credit_code",
            "统一社会信用代码应为18位，您输入了14位",
        ),
        ({"credit_code": "91350100MO00100Y43"}, "credit_code", "第10位“O”不是可用字符"),
        ({"legal_rep": ""}, "legal_rep", "请填写法定代表人（负责人）姓名。"),
        ({"phone": "6612345"}, "phone", "带区号的固定电话"),
        ({"name": ""}, "name", "请填写单位名称。"),
    ],
)
def test_a_legal_person_application_with_a_wrong_field_is_refused_and_nothing_is_written(
    clerk: Browserless, demo_home: Path, fields: dict, field: str, message: str
):
    values = {
        "applicant_kind": "enterprise",
        "name": "示例公司",
        "credit_code": CREDIT_CODE,
        "legal_rep": "王建国",
        "phone": "13912345678",
        **fields,
    }
    response = clerk.post(f"/intake/new/{ROAD}", form(ROAD, **values))
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert f'id="err-{field}"' in page
    assert message in page
    assert case_count(demo_home) == 0


DOCUMENTS = [
    # (id_type, number typed, number kept)
    ("hk_macao_permit", "H12345678", "H12345678"),
    ("hk_macao_permit", "m1234567801", "M1234567801"),
    ("taiwan_permit", "１２３４５６７８", "12345678"),
    ("residence_permit", "810000199408230021", "810000199408230021"),
    ("foreign_permanent", "911156198807120011", "911156198807120011"),
    ("foreign_permanent", "USA110088071215", "USA110088071215"),
    ("passport", "E12345678", "E12345678"),
    ("passport", "ea1234567", "EA1234567"),
]


@pytest.mark.parametrize(("id_type", "typed", "kept"), DOCUMENTS)
def test_a_person_with_another_identity_document_is_registered(
    clerk: Browserless, demo_home: Path, id_type: str, typed: str, kept: str
):
    response = clerk.post(
        f"/intake/new/{ROAD}",
        form(ROAD, name="陈大文", id_type=id_type, id_number=typed, phone="13912345678"),
    )
    assert response.status_code == 200, response.text[:600]
    [payload] = registered(demo_home)
    assert payload["applicant"]["id_type"] == id_type
    assert payload["applicant"]["id_number"] == kept
    page = html.unescape(clerk.get(response.url.split(clerk.base, 1)[1]).text)
    # The clerk sees the whole number on the case page; the list masks it.
    assert kept in page
    listing = html.unescape(clerk.get("/cases/").text)
    assert kept not in listing and "陈大文" in listing


WRONG_DOCUMENTS = [
    ("hk_macao_permit", "K12345678", "第1位应为H（香港居民）或M（澳门居民）"),
    ("hk_macao_permit", "H1234567", "您输入了7位数字"),
    ("taiwan_permit", "1234567890(B)", "旧版台胞证号码"),
    ("taiwan_permit", "1234567", "应为8位数字，您输入了7位"),
    (
        "residence_permit",
        "110105194912310021",
        "前6位应为810000（香港）、820000（澳门）或830000（台湾）",
    ),
    ("residence_permit", "810000199408230022", "港澳台居民居住证号码有误：校验位不正确"),
    ("foreign_permanent", "911156198807120012", "外国人永久居留身份证号码校验位不正确"),
    ("foreign_permanent", "111156198807120011", "第1位应为9"),
    ("foreign_permanent", "USA110088071216", "外国人永久居留身份证号码校验位不正确"),
    ("foreign_permanent", "1234567", "应为18位（2023年起的新证）或15位（旧证），您输入了7位"),
    ("passport", "E1234-5678", "第6位“-”不正确"),
    ("passport", "ABCDEFG", "护照号码中应有数字"),
]


@pytest.mark.parametrize(("id_type", "typed", "message"), WRONG_DOCUMENTS)
def test_a_wrong_document_number_is_refused_with_its_own_message(
    clerk: Browserless, demo_home: Path, id_type: str, typed: str, message: str
):
    response = clerk.post(
        f"/intake/new/{ROAD}", form(ROAD, name="陈大文", id_type=id_type, id_number=typed)
    )
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert 'id="err-id_number"' in page and message in page
    # The form keeps what was typed and the document chosen.
    assert f'value="{id_type}" selected' in page
    assert case_count(demo_home) == 0


def test_an_item_for_persons_only_refuses_an_enterprise_with_the_kinds_it_takes(
    clerk: Browserless, demo_home: Path
):
    response = clerk.post(
        f"/intake/new/{PERSONS_ONLY}",
        form(
            PERSONS_ONLY,
            applicant_kind="enterprise",
            name="示例公司",
            credit_code=CREDIT_CODE,
            legal_rep="王建国",
            phone="13912345678",
        ),
    )
    assert response.status_code == 422
    assert "该事项不受理企业申请，只受理：自然人。" in html.unescape(response.text)
    assert case_count(demo_home) == 0


def test_the_form_offers_only_the_kinds_an_item_accepts_and_swaps_the_fields(clerk: Browserless):
    page = html.unescape(clerk.get(f"/intake/new/{ROAD}").text)
    assert 'value="enterprise"' in page and 'value="social_org"' in page
    assert 'value="village_collective"' not in page
    assert 'name="id_type"' in page and 'name="credit_code"' not in page
    # htmx asks for the applicant's fields of the kind chosen: only that fieldset comes back.
    swapped = clerk.get(
        f"/intake/new/{ROAD}/applicant",
        params={"applicant_kind": "enterprise", "name": "已填的名称"},
        headers={"HX-Request": "true"},
    )
    assert swapped.status_code == 200
    assert (
        swapped.text.lstrip().startswith('<fieldset id="applicant-fields">')
        or 'id="applicant-fields"' in swapped.text.split("\n", 3)[1]
    )
    assert 'name="credit_code"' in swapped.text and 'name="legal_rep"' in swapped.text
    assert "已填的名称" in swapped.text and "<html" not in swapped.text
    # Without JavaScript the same choice is a link to the full page.
    full = html.unescape(clerk.get(f"/intake/new/{ROAD}?applicant_kind=social_org").text)
    assert 'name="credit_code"' in full and "<html" in full
    collective = html.unescape(clerk.get(f"/intake/new/{COLLECTIVE}").text)
    assert 'name="credit_code"' in collective and 'name="id_type"' not in collective


def test_the_hint_under_the_number_follows_the_document_chosen(clerk: Browserless):
    swapped = clerk.get(
        f"/intake/new/{ROAD}/applicant",
        params={"id_type": "foreign_permanent"},
        headers={"HX-Request": "true"},
    )
    text = html.unescape(swapped.text)
    assert "新证18位，以9开头" in text and 'value="foreign_permanent" selected' in text


@pytest.fixture
def reviewer(township) -> Browserless:
    session = Browserless(township.url)
    assert session.login("shenhe").url.endswith("/")
    return session


def test_an_enterprise_agent_with_a_valid_entrustment_applies_and_the_case_is_marked(
    clerk: Browserless, reviewer: Browserless, demo_home: Path
):
    created = reviewer.post(
        "/agents/",
        {
            "name": "赵代办",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "phone": "13800138000",
        },
    )
    assert created.status_code == 200, created.text[:600]
    agent_path = created.url.split(reviewer.base, 1)[1]
    assert agent_path.startswith("/agents/")
    refused = reviewer.post(
        agent_path + "/entrustments",
        {"credit_code": CREDIT_CODE, "enterprise_name": "示例建材", "valid_until": "2020-01-01"},
    )
    assert refused.status_code == 422
    assert "委托截止日期" in html.unescape(refused.text)
    added = reviewer.post(
        agent_path + "/entrustments",
        {"credit_code": CREDIT_CODE, "enterprise_name": "示例建材", "valid_until": "2027-12-31"},
    )
    assert added.status_code == 200, added.text[:600]
    assert CREDIT_CODE in html.unescape(added.text)
    agent_id = agent_path.rsplit("/", 1)[1]

    # An enterprise the agent holds no entrustment of: refused, nothing written.
    other = clerk.post(
        f"/intake/new/{ROAD}",
        form(
            ROAD,
            applicant_kind="enterprise",
            name="别的公司",
            credit_code="91110108MA01KPXG4P",
            legal_rep="孙某",
            phone="13912345678",
            agent_id=agent_id,
        ),
    )
    assert other.status_code == 422
    assert "没有统一社会信用代码为91110108MA01KPXG4P的单位今天有效的委托" in html.unescape(
        other.text
    )
    assert case_count(demo_home) == 0

    done = clerk.post(
        f"/intake/new/{ROAD}",
        form(
            ROAD,
            applicant_kind="enterprise",
            name="示例建材",
            credit_code=CREDIT_CODE,
            legal_rep="王建国",
            phone="13912345678",
            agent_id=agent_id,
        ),
    )
    assert done.status_code == 200, done.text[:600]
    [payload] = registered(demo_home)
    assert payload["proxy"] == {
        "name": "赵代办",
        "id_number": "11010519491231002X",
        "phone": "13800138000",
        "relation": "企业代办员",
        "agent_id": agent_id,
    }
    listing = html.unescape(clerk.get("/cases/").text)
    assert "企业代办" in listing
    # The agent's page lists the cases they applied for; the registry's list masks the number.
    agent_page = html.unescape(reviewer.get(agent_path).text)
    assert "示例建材" in agent_page and "/cases/" in agent_page and "共 1 件" in agent_page
    registry = html.unescape(reviewer.get("/agents/").text)
    assert "110***********002X" in registry and "11010519491231002X" not in registry

    # Stopped, the agent can apply no more.
    reviewer.post(agent_path + "/active", {"active": "0"})
    stopped = clerk.post(
        f"/intake/new/{ROAD}",
        form(
            ROAD,
            applicant_kind="enterprise",
            name="示例建材",
            credit_code=CREDIT_CODE,
            legal_rep="王建国",
            phone="13912345678",
            agent_id=agent_id,
        ),
    )
    assert stopped.status_code == 422
    assert "已停止代办" in html.unescape(stopped.text)


def test_only_the_reviewer_and_the_admin_keep_the_agents_registry(clerk: Browserless):
    assert clerk.get("/agents/").status_code == 403
    refused = clerk.post("/agents/", {"name": "x", "id_type": "passport", "id_number": "E1"})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id_number": "11010519491231002Y"}, "身份证号码第18位“Y”不正确"),
        ({"id_type": "passport", "id_number": "E1"}, "护照号码应为5至17位"),
        ({"name": ""}, "请填写代办员姓名。"),
        ({"phone": "12345"}, "手机号码应为11位数字"),
    ],
)
def test_an_agent_with_wrong_details_is_not_registered(
    reviewer: Browserless, fields: dict, message: str
):
    values = {
        "name": "赵代办",
        "id_type": "resident_id",
        "id_number": "11010519491231002X",
        "phone": "13800138000",
        **fields,
    }
    response = reviewer.post("/agents/", values)
    assert response.status_code == 422
    assert message in html.unescape(response.text)
    assert "赵代办" not in html.unescape(reviewer.get("/agents/").text).split("<table", 1)[-1]


def entrustment_count(home: Path) -> int:
    conn = sqlite3.connect(home / "township.db")
    try:
        return conn.execute("SELECT COUNT(*) FROM agent_entrustments").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"credit_code": "91350100M000100Y4"}, "统一社会信用代码应为18位，您输入了17位。"),
        ({"enterprise_name": ""}, "请填写委托单位名称。"),
        ({"valid_until": "2027-02-30"}, "请按“年-月-日”填写日期，如2027-06-30。"),
        ({"valid_until": "x" * 5000}, "请按“年-月-日”填写日期，如2027-06-30。"),
        (
            {"valid_from": "2027-06-01", "valid_until": "2027-05-01"},
            "委托截止日期不能早于开始日期。",
        ),
        ({"valid_until": "2099-01-01"}, "委托期限不能超过5年，请核对截止日期。"),
        ({"note": "备" * 201}, "备注过长。"),
    ],
)
def test_a_wrong_entrustment_is_refused_with_its_message_and_nothing_is_kept(
    reviewer: Browserless, demo_home: Path, fields: dict, message: str
):
    created = reviewer.post(
        "/agents/",
        {"name": "赵代办", "id_type": "passport", "id_number": "E12345678", "phone": "13800138000"},
    )
    agent_path = created.url.split(reviewer.base, 1)[1]
    values = {
        "credit_code": CREDIT_CODE,
        "enterprise_name": "示例建材",
        "valid_until": "2027-12-31",
        **fields,
    }
    refused = reviewer.post(agent_path + "/entrustments", values)
    assert refused.status_code == 422
    assert message in html.unescape(refused.text)
    assert entrustment_count(demo_home) == 0
    # The same agent twice is refused; revoking an entrustment twice is a clear conflict.
    again = reviewer.post(
        "/agents/",
        {"name": "赵代办", "id_type": "passport", "id_number": "e12345678", "phone": "13800138000"},
    )
    assert again.status_code == 422 and "持该证件的代办员已经登记过了。" in html.unescape(
        again.text
    )
    added = reviewer.post(
        agent_path + "/entrustments",
        {"credit_code": CREDIT_CODE, "enterprise_name": "示例建材", "valid_until": "2027-12-31"},
    )
    revoke = re.search(r'action="(/agents/[^"]+/revoke)"', added.text).group(1)
    assert "已撤销" in html.unescape(reviewer.post(revoke).text)
    twice = reviewer.post(revoke)
    assert twice.status_code == 409 and "该委托已经撤销。" in html.unescape(twice.text)
    assert entrustment_count(demo_home) == 1
