"""Identity documents other than the resident ID card, and legal persons' credit codes: each
accepted in the forms its published rule gives and refused, for each wrong input, with its own
message (the table below is the proof the issue asks for)."""

from __future__ import annotations

from datetime import date

import pytest

from sync.errors import InvalidInput
from sync.identity_documents import (
    FOREIGN_PERMANENT,
    HK_MACAO_PERMIT,
    ID_TYPE_HINTS,
    ID_TYPE_LABELS,
    ID_TYPES,
    PASSPORT,
    RESIDENCE_PERMIT,
    RESIDENT_ID,
    TAIWAN_PERMIT,
    check_identity_document,
    mask_document_number,
)
from sync.ids import check_credit_code

TODAY = date(2026, 12, 7)

# (document, as typed, as kept). Examples follow each published rule: the 2010 rule's
# H/M + 8 lifetime digits + 2 renewal digits (and the 9 characters the 2013 card prints); the
# Taiwan permit's 8-digit lifetime number; residence permits with 810000/820000/830000 and the
# GB 11643 check; the 2023 permanent residence card's 9…(MOD 11-2) and the older AAA + 12 digits
# card (ICAO 7-3-1 check); ICAO 9303 passport numbers, Chinese E/EA… ones among them.
ACCEPTED = [
    (HK_MACAO_PERMIT, "H12345678", "H12345678"),
    (HK_MACAO_PERMIT, "M87654321", "M87654321"),
    (HK_MACAO_PERMIT, "h1234567800", "H1234567800"),
    (HK_MACAO_PERMIT, "Ｈ１２３４５６７８", "H12345678"),
    (TAIWAN_PERMIT, "12345678", "12345678"),
    (TAIWAN_PERMIT, " 0012 3456 ", "00123456"),
    (RESIDENCE_PERMIT, "810000199408230021", "810000199408230021"),
    (RESIDENCE_PERMIT, "820000198511050042", "820000198511050042"),
    (RESIDENCE_PERMIT, "830000200101010015", "830000200101010015"),
    (FOREIGN_PERMANENT, "911156198807120011", "911156198807120011"),
    (FOREIGN_PERMANENT, "911356197501010027", "911356197501010027"),
    (FOREIGN_PERMANENT, "usa110088071215", "USA110088071215"),
    (FOREIGN_PERMANENT, "GBR370095010517", "GBR370095010517"),
    (PASSPORT, "E12345678", "E12345678"),
    (PASSPORT, "EA1234567", "EA1234567"),
    (PASSPORT, "c01x00t47", "C01X00T47"),
    (PASSPORT, "L898902C<", "L898902C"),  # ICAO 9303's specimen, filler dropped
    (RESIDENT_ID, "11010519491231002X", "11010519491231002X"),
]


@pytest.mark.parametrize(("id_type", "typed", "kept"), ACCEPTED)
def test_a_number_of_the_published_form_is_accepted_and_normalised(
    id_type: str, typed: str, kept: str
):
    assert check_identity_document(id_type, typed, today=TODAY) == kept


REFUSED = [
    (HK_MACAO_PERMIT, "", "请填写港澳居民来往内地通行证号码。"),
    (
        HK_MACAO_PERMIT,
        "K12345678",
        "港澳居民来往内地通行证号码第1位应为H（香港居民）或M（澳门居民），您输入的是“K”。",
    ),
    (HK_MACAO_PERMIT, "H1234567A", "港澳居民来往内地通行证号码H或M之后只能是数字。"),
    (
        HK_MACAO_PERMIT,
        "H1234567",
        "港澳居民来往内地通行证号码应为H或M加8位数字（旧证加10位），您输入了7位数字。",
    ),
    (TAIWAN_PERMIT, "", "请填写台湾居民来往大陆通行证号码。"),
    (
        TAIWAN_PERMIT,
        "1234567801(B)",
        "这是旧版台胞证号码（含签发次数或签发机关代码），请只填写前8位终身号码。",
    ),
    (
        TAIWAN_PERMIT,
        "1234567801",
        "这是旧版台胞证号码（含签发次数或签发机关代码），请只填写前8位终身号码。",
    ),
    (TAIWAN_PERMIT, "T1234567", "台湾居民来往大陆通行证号码只能是数字。"),
    (TAIWAN_PERMIT, "1234567", "台湾居民来往大陆通行证号码应为8位数字，您输入了7位。"),
    (RESIDENCE_PERMIT, "", "请填写港澳台居民居住证号码。"),
    (
        RESIDENCE_PERMIT,
        "110105194912310021",
        "港澳台居民居住证号码前6位应为810000（香港）、820000（澳门）或830000（台湾），"
        "您输入的是“110105”；内地居民请选择“居民身份证”。",
    ),
    (
        RESIDENCE_PERMIT,
        "810000199408230022",
        "港澳台居民居住证号码有误：校验位不正确，请核对号码是否抄错。",
    ),
    (
        RESIDENCE_PERMIT,
        "810000199402300021",
        "港澳台居民居住证号码有误：身份证号码第7至14位的出生日期“19940230”不是真实存在的日期。",
    ),
    (
        RESIDENCE_PERMIT,
        "81000019940823002",
        "港澳台居民居住证号码有误：身份证号码应为18位，您输入了17位。",
    ),
    (FOREIGN_PERMANENT, "", "请填写外国人永久居留身份证号码。"),
    (
        FOREIGN_PERMANENT,
        "91115619880712001",
        "外国人永久居留身份证号码应为18位（2023年起的新证）或15位（旧证），您输入了17位。",
    ),
    (
        FOREIGN_PERMANENT,
        "111156198807120011",
        "18位外国人永久居留身份证号码第1位应为9；以1至8开头的是居民身份证号码，请选择“居民身份证”。",
    ),
    (
        FOREIGN_PERMANENT,
        "9111561988071200A1",
        "18位外国人永久居留身份证号码第17位“A”不正确：只能是数字，仅最后一位可以是X。",
    ),
    (
        FOREIGN_PERMANENT,
        "900156198807120011",
        "18位外国人永久居留身份证号码第2、3位“00”不是受理地的省级代码。",
    ),
    (
        FOREIGN_PERMANENT,
        "911156198813120011",
        "外国人永久居留身份证号码第7至14位的出生日期“19881312”不是真实存在的日期。",
    ),
    (
        FOREIGN_PERMANENT,
        "911156198807120012",
        "外国人永久居留身份证号码校验位不正确，请核对号码是否抄错。",
    ),
    (
        FOREIGN_PERMANENT,
        "U5A110088071215",
        "15位外国人永久居留身份证号码前3位应为国籍的英文字母代码（如USA），您输入的是“U5A”。",
    ),
    (FOREIGN_PERMANENT, "USA11008807121X", "15位外国人永久居留身份证号码第4至15位应为数字。"),
    (
        FOREIGN_PERMANENT,
        "USA990088071215",
        "15位外国人永久居留身份证号码第4至7位“9900”不是受理地代码。",
    ),
    (
        FOREIGN_PERMANENT,
        "USA110088023015",
        "外国人永久居留身份证号码第8至13位的出生日期“880230”不是真实存在的日期。",
    ),
    (
        FOREIGN_PERMANENT,
        "USA110088071216",
        "外国人永久居留身份证号码校验位不正确，请核对号码是否抄错。",
    ),
    (PASSPORT, "", "请填写护照号码。"),
    (PASSPORT, "E1234-5678", "护照号码第6位“-”不正确：护照号码只由英文字母和数字组成。"),
    (PASSPORT, "E123", "护照号码应为5至17位英文字母和数字，您输入了4位。"),
    (PASSPORT, "ABCDEFGH", "护照号码中应有数字，请核对是否填成了姓名或国籍。"),
    ("driving_licence", "E12345678", "请选择证件类型。"),
]


@pytest.mark.parametrize(("id_type", "typed", "message"), REFUSED)
def test_a_wrong_number_is_refused_with_the_message_for_its_document(
    id_type: str, typed: str, message: str
):
    with pytest.raises(InvalidInput) as refused:
        check_identity_document(id_type, typed, today=TODAY)
    assert refused.value.message == message


def test_a_permanent_residence_card_of_someone_not_yet_born_is_refused():
    with pytest.raises(InvalidInput, match="不在合理范围内"):
        check_identity_document(FOREIGN_PERMANENT, "911156202712310012", today=TODAY)


# GB 32100-2015's worked example, a 社会组织 code (5…), a village collective (N2…), and the wrong.
CREDIT_CODES_ACCEPTED = ["91350100M000100Y43", "51370613MJ00000019", "N2370613MF0000000B"]
CREDIT_CODES_REFUSED = [
    ("91350100M000100Y42", "统一社会信用代码校验位不正确，请核对是否抄错。"),
    ("91350100M000100Y4", "统一社会信用代码应为18位，您输入了17位。"),
    (
        "91350100MO00100Y43",
        "统一社会信用代码第10位“O”不是可用字符：只用数字和大写字母，不用I、O、S、V、Z。",
    ),
    ("B1350100M000100Y43", "统一社会信用代码第1位“B”不是登记管理部门代码。"),
    ("9135A100M000100Y43", "统一社会信用代码第3至8位“35A100”应为6位数字的行政区划代码。"),
    ("", "请填写统一社会信用代码。"),
]


@pytest.mark.parametrize("code", CREDIT_CODES_ACCEPTED)
def test_a_valid_credit_code_is_accepted(code: str):
    assert check_credit_code(code.lower()) == code


@pytest.mark.parametrize(("code", "message"), CREDIT_CODES_REFUSED)
def test_a_wrong_credit_code_is_refused_with_its_message(code: str, message: str):
    with pytest.raises(InvalidInput) as refused:
        check_credit_code(code)
    assert refused.value.message == message


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "110***********002X"),
        ("USA110088071215", "USA********1215"),
        ("H12345678", "H*****678"),
        ("H1234567800", "H*******800"),
        ("12345678", "1****678"),
        ("EA12345", "*******"),
        ("", ""),
        (None, ""),
    ],
)
def test_every_document_number_is_masked_leaving_only_a_few_characters(number, masked):
    assert mask_document_number(number) == masked


def test_every_document_type_has_a_label_and_a_hint():
    assert set(ID_TYPE_LABELS) == set(ID_TYPES) == set(ID_TYPE_HINTS)
