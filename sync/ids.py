"""Resident ID numbers, unified social credit codes, mobile numbers and division codes.

Written from the standards (GB 11643-1999, GB 32100-2015, GB/T 2260), not from python-stdnum: that
library checks region codes against today's list and so refuses elderly residents who carry
abolished county codes, and it refuses village collective credit codes (N2…). Each ``check_*``
function returns the normalised value or raises ``InvalidInput`` whose message says which part is
wrong, so the window clerk can fix the right digit.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from datetime import date

from sync.errors import N_, InvalidInput

# Province-level parts of GB/T 2260. Only an unknown province is structurally impossible: the
# county part is never checked against a list, because abolished codes stay on people's IDs.
PROVINCE_CODES = frozenset(
    f"{n:02d}"
    for n in [
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    ]
)
# Residence permits of Hong Kong, Macao and Taiwan residents carry 810000, 820000 and 830000 as
# their region code; 83 is not a GB/T 2260 province, so it is valid in ID numbers only.
_ID_PROVINCE_CODES = PROVINCE_CODES | {"83"}

# Nobody alive was born before this; refusing a later birth date would turn a real person away.
EARLIEST_BIRTH_DATE = date(1890, 1, 1)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11 (ISO 7064 MOD 11-2)
_ZERO_SUM = ord("0") * sum(_ID_WEIGHTS)

# GB 32100-2015 alphabet in value order: I, O, S, V and Z are left out as easily misread.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# 1-9 are the registration authorities of the standard's table, A the central military commission's
# office, N agriculture (village collectives, N2…), Y all others.
_CREDIT_AUTHORITIES = frozenset("123456789ANY")

_SEPARATORS = re.compile(r"[\s\-]+")


def _compact(s: str, *, drop_hyphens: bool = False) -> str:
    """Return ``s`` with full-width characters folded and spaces (and hyphens if asked) removed."""
    # NFKC turns full-width digits and letters (typed with a Chinese IME) into ASCII ones.
    s = unicodedata.normalize("NFKC", s)
    if drop_hyphens:
        return _SEPARATORS.sub("", s)
    return re.sub(r"\s+", "", s)


_NORMAL_ID = re.compile(r"[0-9]{17}[0-9X]")


def resident_id_check_char(body: str) -> str:
    """Return the GB 11643 check character of the first 17 digits."""
    if len(body) != len(_ID_WEIGHTS) or not (body.isascii() and body.isdigit()):
        raise ValueError("the body of a resident ID number has 17 digits")
    # The digits' byte values less 48 each ("0" is 48): three times faster than int() per digit,
    # and central checks every registration's number in a batch.
    return _ID_CHECK_CHARS[(sum(map(operator.mul, body.encode(), _ID_WEIGHTS)) - _ZERO_SUM) % 11]


def check_resident_id(s: str, *, today: date | None = None) -> str:
    """Return the normalised resident ID number, or raise InvalidInput naming the wrong part."""
    field = "id_number"
    # Already normalised (every number in a stored event is): skip the Unicode folding.
    if not _NORMAL_ID.fullmatch(s):
        s = _compact(s).upper()
    if not s:
        raise InvalidInput(N_("请填写身份证号码。"), field=field)
    if len(s) == 15 and s.isascii() and s.isdigit():
        raise InvalidInput(
            N_("这是15位的旧身份证号码，请填写现用的18位公民身份号码。"), field=field
        )
    if len(s) != 18:
        raise InvalidInput(N_("身份证号码应为18位，您输入了%(n)s位。"), field=field, n=len(s))
    for pos, char in enumerate(s, start=1):
        if not ("0" <= char <= "9" or (pos == 18 and char == "X")):
            raise InvalidInput(
                N_("身份证号码第%(pos)s位“%(char)s”不正确：只能是数字，仅最后一位可以是X。"),
                field=field,
                pos=pos,
                char=char,
            )
    if s[:2] not in _ID_PROVINCE_CODES:
        raise InvalidInput(
            N_("身份证号码前两位“%(code)s”不是省级行政区划代码，请核对前6位地址码。"),
            field=field,
            code=s[:2],
        )
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise InvalidInput(
            N_("身份证号码第7至14位的出生日期“%(digits)s”不是真实存在的日期。"),
            field=field,
            digits=s[6:14],
        ) from None
    if born > (today or date.today()):
        raise InvalidInput(
            N_("身份证号码中的出生日期%(born)s晚于今天，请核对第7至14位。"),
            field=field,
            born=born.isoformat(),
        )
    if born < EARLIEST_BIRTH_DATE:
        raise InvalidInput(
            N_("身份证号码中的出生日期%(born)s早于%(earliest)s年，请核对第7至14位。"),
            field=field,
            born=born.isoformat(),
            earliest=EARLIEST_BIRTH_DATE.year,
        )
    # The right check character is not shown: it would let a miscopied number "pass" by editing.
    if resident_id_check_char(s[:17]) != s[17]:
        raise InvalidInput(N_("校验位不正确，请核对号码是否抄错。"), field=field)
    return s


def is_valid_resident_id(s: str) -> bool:
    """Tell whether ``s`` is a valid resident ID number."""
    try:
        check_resident_id(s)
    except InvalidInput:
        return False
    return True


def resident_id_birth_date(s: str) -> date:
    """Return the date of birth written in a valid resident ID number."""
    s = check_resident_id(s)
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def resident_id_sex(s: str) -> str:
    """Return "男" or "女" from the 17th digit of a valid resident ID number (odd is male)."""
    s = check_resident_id(s)
    return "男" if int(s[16]) % 2 else "女"


def mask_resident_id(s: str) -> str:
    """Return the ID number with all but the first 3 and last 4 characters hidden by asterisks."""
    s = _compact(s or "")
    # Below a full old ID's length, showing 7 characters would reveal most of whatever it is.
    if len(s) < 15:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask_phone(phone: str) -> str:
    """Return a phone number with its middle four digits hidden (for listings and exports)."""
    return phone[:3] + "****" + phone[7:] if len(phone) == 11 else "****"


def _credit_code_check_char(body: str) -> str:
    """Return the GB 32100 check character of the first 17 characters."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(s: str) -> str:
    """Return the normalised unified social credit code, or raise InvalidInput naming the error."""
    field = "credit_code"
    s = _compact(s).upper()
    if not s:
        raise InvalidInput(N_("请填写统一社会信用代码。"), field=field)
    if len(s) != 18:
        raise InvalidInput(N_("统一社会信用代码应为18位，您输入了%(n)s位。"), field=field, n=len(s))
    for pos, char in enumerate(s, start=1):
        if char not in CREDIT_CODE_ALPHABET:
            raise InvalidInput(
                N_(
                    "统一社会信用代码第%(pos)s位“%(char)s”不是可用字符："
                    "只用数字和大写字母，不用I、O、S、V、Z。"
                ),
                field=field,
                pos=pos,
                char=char,
            )
    if s[0] not in _CREDIT_AUTHORITIES:
        raise InvalidInput(
            N_("统一社会信用代码第1位“%(char)s”不是登记管理部门代码。"), field=field, char=s[0]
        )
    if not (s[2:8].isascii() and s[2:8].isdigit()):
        raise InvalidInput(
            N_("统一社会信用代码第3至8位“%(part)s”应为6位数字的行政区划代码。"),
            field=field,
            part=s[2:8],
        )
    # Positions 9-17 hold a GB 11714 organisation code with its own check digit; it is not
    # enforced, since codes given to village collectives (N2…) need not satisfy it.
    if _credit_code_check_char(s[:17]) != s[17]:
        raise InvalidInput(N_("统一社会信用代码校验位不正确，请核对是否抄错。"), field=field)
    return s


def is_valid_credit_code(s: str) -> bool:
    """Tell whether ``s`` is a valid unified social credit code."""
    try:
        check_credit_code(s)
    except InvalidInput:
        return False
    return True


def check_mobile(s: str) -> str:
    """Return the bare 11 digits of a mainland mobile number, or raise InvalidInput saying why."""
    field = "mobile"
    s = _compact(s, drop_hyphens=True)
    if not s:
        raise InvalidInput(N_("请填写手机号码。"), field=field)
    digits = s.removeprefix("+")
    for char in digits:
        if not "0" <= char <= "9":
            raise InvalidInput(
                N_("手机号码中有不能识别的字符“%(char)s”，只能填写数字。"), field=field, char=char
            )
    # Strip a country code only when what remains has the length of a number; "86…" alone is not
    # proof of a prefix.
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if len(digits) != 11:
        raise InvalidInput(
            N_("手机号码应为11位数字，您输入了%(n)s位。"), field=field, n=len(digits)
        )
    if not re.fullmatch(r"1[3-9]\d{9}", digits):
        raise InvalidInput(N_("手机号码应以13至19开头，请核对是否填成了座机号码。"), field=field)
    return digits


def is_valid_mobile(s: str) -> bool:
    """Tell whether ``s`` is a mainland mobile number."""
    try:
        check_mobile(s)
    except InvalidInput:
        return False
    return True


def check_division_code(s: str) -> str:
    """Return a 6-, 9- or 12-digit division code, or raise InvalidInput saying why."""
    field = "division_code"
    s = _compact(s)
    if not s:
        raise InvalidInput(N_("请填写行政区划代码。"), field=field)
    if not (s.isascii() and s.isdigit()):
        raise InvalidInput(N_("行政区划代码只能由数字组成。"), field=field)
    if len(s) not in (6, 9, 12):
        raise InvalidInput(
            N_("行政区划代码应为6位、9位或12位数字，您输入了%(n)s位。"), field=field, n=len(s)
        )
    if s[:2] not in PROVINCE_CODES:
        raise InvalidInput(
            N_("行政区划代码前两位“%(code)s”不是省级行政区划代码。"), field=field, code=s[:2]
        )
    return s
