from datetime import date

import pytest

from sync.errors import InvalidInput
from sync.ids import (
    check_credit_code,
    check_division_code,
    check_mobile,
    check_resident_id,
    is_valid_credit_code,
    is_valid_mobile,
    is_valid_resident_id,
    mask_resident_id,
    resident_id_birth_date,
    resident_id_sex,
)

TODAY = date(2026, 6, 1)


def iso7064_check(body: str) -> str:
    """Compute the GB 11643 check character the recursive ISO 7064 way, not by a weight table."""
    p = 0
    for digit in body:
        p = (p + int(digit)) * 2 % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def with_id_check(body: str) -> str:
    assert len(body) == 17
    return body + iso7064_check(body)


CREDIT_VALUES = {
    "0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9,
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "J": 18, "K": 19,
    "L": 20, "M": 21, "N": 22, "P": 23, "Q": 24, "R": 25, "T": 26, "U": 27, "W": 28, "X": 29,
    "Y": 30,
}  # fmt: skip
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def with_credit_check(body: str) -> str:
    assert len(body) == 17
    total = sum(CREDIT_VALUES[c] * w for c, w in zip(body, CREDIT_WEIGHTS, strict=True))
    value = 31 - total % 31
    if value == 31:
        value = 0
    return body + next(c for c, v in CREDIT_VALUES.items() if v == value)


def message_of(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    return str(excinfo.value)


def test_official_gb11643_example_is_valid() -> None:
    assert check_resident_id("11010519491231002X", today=TODAY) == "11010519491231002X"
    assert iso7064_check("11010519491231002") == "X"


@pytest.mark.parametrize(
    "body",
    [
        "37061319900101123",  # Yantai Laishan
        "37060219350707002",  # Zhifu
        "37230119280315004",  # 372301: old Huimin prefecture code, abolished; still on elderly IDs
        "51132119890512887",
        "65010220010228001",
        "81000019950615003",  # Hong Kong residents' residence permit
        "83000019800101002",  # Taiwan residents' residence permit (83 is not in GB/T 2260)
        "11010519000101001",
        "46020020260601004",  # born today
        "11010518900101003",  # the earliest accepted birth date
    ],
)
def test_ids_with_independently_computed_check_character_are_valid(body: str) -> None:
    number = with_id_check(body)
    assert check_resident_id(number, today=TODAY) == number
    assert is_valid_resident_id(number)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("11010519491231002x", "11010519491231002X"),
        (" 110105 19491231 002X ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),  # full-width IME input
    ],
)
def test_resident_id_is_normalised(raw: str, normalised: str) -> None:
    assert check_resident_id(raw, today=TODAY) == normalised


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "请填写身份证号码"),
        ("   ", "请填写身份证号码"),
        ("3706131990010112", "您输入了16位"),
        ("3706131990010112345", "您输入了19位"),
        ("370613900101123", "15位的旧身份证号码"),
        ("37061319900101123A", "第18位“A”"),
        ("3706131990010X1234", "第14位“X”"),
        ("3706131９900101123a", "第18位“A”"),
        ("370613-19900101123", "第7位“-”"),
        (with_id_check("00061319900101123"), "前两位“00”"),
        (with_id_check("99061319900101123"), "前两位“99”"),
        (with_id_check("72061319900101123"), "前两位“72”"),
        (with_id_check("37061319990230123"), "“19990230”不是真实存在的日期"),
        (with_id_check("37061319991301123"), "“19991301”不是真实存在的日期"),
        (with_id_check("37061300000101123"), "“00000101”不是真实存在的日期"),
        (with_id_check("37061320260602123"), "出生日期2026-06-02晚于今天"),
        (with_id_check("37061318891231123"), "早于1890年"),
        ("440524188001010014", "早于1890年"),  # check character right, but born 1880
        ("11010519491231002", "您输入了17位"),
        ("110105194912310021", "校验位不正确，请核对号码是否抄错"),
        ("370613199001011230", "校验位不正确"),
    ],
)
def test_wrong_resident_id_names_the_wrong_part(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        check_resident_id(raw, today=TODAY)
    assert fragment in message_of(excinfo)
    assert excinfo.value.field == "id_number"


def test_1880_example_has_a_right_check_character_but_is_refused() -> None:
    assert iso7064_check("44052418800101001") == "4"
    assert not is_valid_resident_id("440524188001010014")


def test_check_character_message_does_not_reveal_the_right_one() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        check_resident_id("110105194912310021", today=TODAY)
    assert "X" not in message_of(excinfo)


def test_message_template_keeps_placeholders_for_translation() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        check_resident_id("12345")
    assert excinfo.value.template == "身份证号码应为18位，您输入了%(n)s位。"
    assert excinfo.value.params == {"n": 5}


def test_birth_date_and_sex_are_read_from_the_id() -> None:
    assert resident_id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert resident_id_sex("11010519491231002X") == "女"
    male = with_id_check("37061319900101123")
    assert resident_id_sex(male) == "男"


def test_birth_date_of_invalid_id_raises() -> None:
    with pytest.raises(InvalidInput):
        resident_id_birth_date("110105194912310021")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("11010519491231002X", "110***********002X"),
        ("11010519491231002x ", "110***********002x"),
        ("370613900101123", "370********1123"),
        ("", ""),
        ("1234567", "*******"),
        ("13800138000", "***********"),
    ],
)
def test_mask_shows_only_first_3_and_last_4_characters(raw: str, masked: str) -> None:
    assert mask_resident_id(raw) == masked


def test_masked_id_keeps_its_length() -> None:
    assert len(mask_resident_id("11010519491231002X")) == 18


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # valid by the rule (check computed independently below)
        with_credit_check("91370613MA3C12345"),
        with_credit_check("N2370613MF0000000"),  # village collective economic organisation
        with_credit_check("12370613004567891"),
        with_credit_check("51370613MJ1234567"),
        with_credit_check("Y1370613000000000"),
        with_credit_check("A1110000000000000"),
    ],
)
def test_credit_codes_with_right_check_character_are_valid(code: str) -> None:
    assert check_credit_code(code) == code
    assert is_valid_credit_code(code)


def test_published_credit_code_example_agrees_with_independent_check() -> None:
    assert with_credit_check("91350100M000100Y4") == "91350100M000100Y43"


def test_credit_code_is_normalised() -> None:
    assert check_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "请填写统一社会信用代码"),
        ("91350100M000100Y4", "您输入了17位"),
        ("91350100M000100Y433", "您输入了19位"),
        ("9135O100M000100Y43", "第5位“O”"),
        ("91350100M000100I43", "第16位“I”"),
        ("91350100M0001S0Y43", "第14位“S”"),
        ("9135010-M000100Y43", "第8位“-”"),
        (with_credit_check("B1370613MA3C12345"), "第1位“B”不是登记管理部门代码"),
        (with_credit_check("01370613000000000"), "第1位“0”不是登记管理部门代码"),
        (with_credit_check("913A0613MA3C12345"), "第3至8位“3A0613”"),
        ("91350100M000100Y44", "校验位不正确"),
    ],
)
def test_wrong_credit_code_names_the_wrong_part(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        check_credit_code(raw)
    assert fragment in message_of(excinfo)
    assert excinfo.value.field == "credit_code"


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("19912345678", "19912345678"),
        ("14512345678", "14512345678"),
        ("１３８００１３８０００", "13800138000"),
    ],
)
def test_mobile_is_reduced_to_11_digits(raw: str, digits: str) -> None:
    assert check_mobile(raw) == digits
    assert is_valid_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "请填写手机号码"),
        ("1380013800", "您输入了10位"),
        ("138001380001", "您输入了12位"),
        ("861380013800", "您输入了12位"),
        ("12800138000", "应以13至19开头"),
        ("05351234567", "应以13至19开头"),
        ("138a0013800", "“a”"),
        ("138.0013.8000", "“.”"),
        ("86+13800138000", "“+”"),
    ],
)
def test_wrong_mobile_says_why(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        check_mobile(raw)
    assert fragment in message_of(excinfo)
    assert excinfo.value.field == "mobile"


@pytest.mark.parametrize("code", ["370613", "370613004", "370613004001", "820000", "110000"])
def test_division_codes_of_6_9_or_12_digits_are_valid(code: str) -> None:
    assert check_division_code(code) == code


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "请填写行政区划代码"),
        ("37061", "您输入了5位"),
        ("3706130040", "您输入了10位"),
        ("37a613", "只能由数字组成"),
        ("990613", "前两位“99”"),
        ("830000", "前两位“83”"),
    ],
)
def test_wrong_division_code_says_why(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        check_division_code(raw)
    assert fragment in message_of(excinfo)
