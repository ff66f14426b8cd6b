"""Identity documents of natural persons other than the resident ID card, each checked by its
published numbering rule, and the masking of any document number.

Every ``check_*`` function returns the normalised number or raises ``InvalidInput`` (field
``id_number``) whose message names the document and what is wrong, so the clerk fixes the right
character. The rules, and where they are published:

- 港澳居民来往内地通行证: 公安部出入境管理局, 《港澳居民来往内地通行证号码规则》 (2010-03-10):
  first character H (Hong Kong) or M (Macao), then the holder's 8-digit lifetime number and, on cards
  made before the 2013 card, 2 digits counting renewals (00 first). Since the 2013 card only the
  9 characters are printed; both forms are accepted.
- 台湾居民来往大陆通行证: 公安部, "一人一号、终身不变" from 2008-09-25: the number is the 8-digit
  lifetime number; the renewal count and the issuing office were moved off the number (so the
  older 10-digit form with a bracketed office code is refused with its own message).
- 港澳台居民居住证: 《港澳台居民居住证申领发放办法》 (国办发〔2018〕81号): a 公民身份号码 per
  GB 11643-1999 whose address code is 810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan).
- 外国人永久居留身份证: the 2004/2017 card's 15 characters (3-letter ISO 3166-1 alpha-3
  nationality, 4-digit issuing-place code, YYMMDD birth date, 1 sequence digit, 1 check digit by the
  ICAO 9303 7-3-1 method); the 2023 card's 18 digits (国家移民管理局, 《新版外国人永久居留身份证机读
  信息规则》 2023: first digit 9, then the 2-digit province of issue, the 3-digit numeric nationality
  code, the 8-digit birth date, a 3-digit sequence and a check character by ISO 7064 MOD 11-2 as in
  GB 11643). Both cards are valid side by side.
- 护照 (passport): ICAO Doc 9303 Part 3-4: the document number uses A–Z and 0–9 only; the MRZ field
  holds 9 characters and longer numbers continue in the optional data, so 5 to 17 characters are
  taken. Chinese ordinary passports (E + 8 digits, or E + a letter + 7 digits since 2017) fit this.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sync.errors import N_, InvalidInput
from sync.ids import EARLIEST_BIRTH_DATE, PROVINCE_CODES, check_resident_id, resident_id_check_char

RESIDENT_ID = "resident_id"
HK_MACAO_PERMIT = "hk_macao_permit"
TAIWAN_PERMIT = "taiwan_permit"
RESIDENCE_PERMIT = "residence_permit"
FOREIGN_PERMANENT = "foreign_permanent"
PASSPORT = "passport"

# In the order the intake form offers them; the resident ID card first, as most applicants bring it.
ID_TYPES = (
    RESIDENT_ID,
    HK_MACAO_PERMIT,
    TAIWAN_PERMIT,
    RESIDENCE_PERMIT,
    FOREIGN_PERMANENT,
    PASSPORT,
)
ID_TYPE_LABELS = {
    RESIDENT_ID: N_("居民身份证"),
    HK_MACAO_PERMIT: N_("港澳居民来往内地通行证"),
    TAIWAN_PERMIT: N_("台湾居民来往大陆通行证"),
    RESIDENCE_PERMIT: N_("港澳台居民居住证"),
    FOREIGN_PERMANENT: N_("外国人永久居留身份证"),
    PASSPORT: N_("护照"),
}
# What the intake form says under the number, so that the clerk knows what to copy.
ID_TYPE_HINTS = {
    RESIDENT_ID: N_("18位，最后一位可能是X。"),
    HK_MACAO_PERMIT: N_("H（香港）或M（澳门）加8位数字，如H12345678。"),
    TAIWAN_PERMIT: N_("8位数字，如12345678。"),
    RESIDENCE_PERMIT: N_("18位，以810000（香港）、820000（澳门）或830000（台湾）开头。"),
    FOREIGN_PERMANENT: N_("新证18位，以9开头；旧证15位，3个英文字母加12位数字。"),
    PASSPORT: N_("护照资料页上的护照号码，由英文字母和数字组成。"),
}
FIELD = "id_number"

_RESIDENCE_PREFIXES = frozenset(("810000", "820000", "830000"))  # Hong Kong, Macao, Taiwan
_ICAO_WEIGHTS = (7, 3, 1)


def _compact(s: str) -> str:
    # Full-width letters and digits typed with a Chinese IME fold to ASCII; spaces go.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or "")).upper()


def check_hk_macao_permit(s: str) -> str:
    """Return a 港澳居民来往内地通行证 number (H/M and 8 or 10 digits), or raise InvalidInput."""
    s = _compact(s)
    if not s:
        raise InvalidInput(N_("请填写港澳居民来往内地通行证号码。"), field=FIELD)
    if s[0] not in "HM":
        raise InvalidInput(
            N_(
                "港澳居民来往内地通行证号码第1位应为H（香港居民）或M（澳门居民），您输入的是“%(char)s”。"
            ),
            field=FIELD,
            char=s[0],
        )
    digits = s[1:]
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidInput(
            N_("港澳居民来往内地通行证号码H或M之后只能是数字。"),
            field=FIELD,
        )
    if len(digits) not in (8, 10):
        raise InvalidInput(
            N_("港澳居民来往内地通行证号码应为H或M加8位数字（旧证加10位），您输入了%(n)s位数字。"),
            field=FIELD,
            n=len(digits),
        )
    return s


def check_taiwan_permit(s: str) -> str:
    """Return a 台湾居民来往大陆通行证 number (the 8-digit lifetime number), or raise InvalidInput."""
    s = _compact(s)
    if not s:
        raise InvalidInput(N_("请填写台湾居民来往大陆通行证号码。"), field=FIELD)
    if "(" in s or len(s) in (10, 11) and s[:10].isascii() and s[:10].isdigit():
        raise InvalidInput(
            N_("这是旧版台胞证号码（含签发次数或签发机关代码），请只填写前8位终身号码。"),
            field=FIELD,
        )
    if not (s.isascii() and s.isdigit()):
        raise InvalidInput(N_("台湾居民来往大陆通行证号码只能是数字。"), field=FIELD)
    if len(s) != 8:
        raise InvalidInput(
            N_("台湾居民来往大陆通行证号码应为8位数字，您输入了%(n)s位。"), field=FIELD, n=len(s)
        )
    return s


def check_residence_permit(s: str, *, today: date | None = None) -> str:
    """Return a 港澳台居民居住证 number (810000/820000/830000 + GB 11643), or raise InvalidInput."""
    s = _compact(s)
    if not s:
        raise InvalidInput(N_("请填写港澳台居民居住证号码。"), field=FIELD)
    if len(s) >= 6 and s[:6] not in _RESIDENCE_PREFIXES:
        raise InvalidInput(
            N_(
                "港澳台居民居住证号码前6位应为810000（香港）、820000（澳门）或830000（台湾），"
                "您输入的是“%(prefix)s”；内地居民请选择“居民身份证”。"
            ),
            field=FIELD,
            prefix=s[:6],
        )
    try:
        return check_resident_id(s, today=today)
    except InvalidInput as error:
        # The same parts as a resident ID number; say which document it is about.
        raise InvalidInput(
            N_("港澳台居民居住证号码有误：%(reason)s"), field=FIELD, reason=error.message
        ) from None


def _icao_check_digit(body: str) -> str:
    # ICAO 9303 Part 3 §4.9: digits count as themselves, A–Z as 10–35, weights 7 3 1 repeated.
    total = 0
    for i, char in enumerate(body):
        value = int(char) if char.isdigit() else ord(char) - ord("A") + 10
        total += value * _ICAO_WEIGHTS[i % 3]
    return str(total % 10)


def _birth_date(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def check_foreign_permanent(s: str, *, today: date | None = None) -> str:
    """Return a 外国人永久居留身份证 number (15-character or 18-digit card), or raise InvalidInput."""
    s = _compact(s)
    today = today or date.today()
    if not s:
        raise InvalidInput(N_("请填写外国人永久居留身份证号码。"), field=FIELD)
    if len(s) == 18:
        return _check_foreign_permanent_2023(s, today)
    if len(s) == 15:
        return _check_foreign_permanent_2004(s, today)
    raise InvalidInput(
        N_("外国人永久居留身份证号码应为18位（2023年起的新证）或15位（旧证），您输入了%(n)s位。"),
        field=FIELD,
        n=len(s),
    )


def _check_foreign_permanent_2023(s: str, today: date) -> str:
    for pos, char in enumerate(s, start=1):
        if not ("0" <= char <= "9" or (pos == 18 and char == "X")):
            raise InvalidInput(
                N_(
                    "18位外国人永久居留身份证号码第%(pos)s位“%(char)s”不正确：只能是数字，仅最后一位可以是X。"
                ),
                field=FIELD,
                pos=pos,
                char=char,
            )
    if s[0] != "9":
        raise InvalidInput(
            N_(
                "18位外国人永久居留身份证号码第1位应为9；以1至8开头的是居民身份证号码，请选择“居民身份证”。"
            ),
            field=FIELD,
        )
    if s[1:3] not in PROVINCE_CODES:
        raise InvalidInput(
            N_("18位外国人永久居留身份证号码第2、3位“%(code)s”不是受理地的省级代码。"),
            field=FIELD,
            code=s[1:3],
        )
    _check_born(_birth_date(s[6:14]), s[6:14], N_("第7至14位"), today)
    if resident_id_check_char(s[:17]) != s[17]:
        raise InvalidInput(
            N_("外国人永久居留身份证号码校验位不正确，请核对号码是否抄错。"), field=FIELD
        )
    return s


def _check_foreign_permanent_2004(s: str, today: date) -> str:
    if not (s[:3].isascii() and s[:3].isalpha()):
        raise InvalidInput(
            N_(
                "15位外国人永久居留身份证号码前3位应为国籍的英文字母代码（如USA），您输入的是“%(part)s”。"
            ),
            field=FIELD,
            part=s[:3],
        )
    if not (s[3:].isascii() and s[3:].isdigit()):
        raise InvalidInput(N_("15位外国人永久居留身份证号码第4至15位应为数字。"), field=FIELD)
    if s[3:5] not in PROVINCE_CODES:
        raise InvalidInput(
            N_("15位外国人永久居留身份证号码第4至7位“%(code)s”不是受理地代码。"),
            field=FIELD,
            code=s[3:7],
        )
    # YYMMDD: the century is not written; a date real in either the 1900s or the 2000s passes.
    candidates = [_birth_date(century + s[7:13]) for century in ("19", "20")]
    born = next((d for d in candidates if d is not None and d <= today), None)
    if born is None:
        raise InvalidInput(
            N_("外国人永久居留身份证号码第8至13位的出生日期“%(digits)s”不是真实存在的日期。"),
            field=FIELD,
            digits=s[7:13],
        )
    if _icao_check_digit(s[:14]) != s[14]:
        raise InvalidInput(
            N_("外国人永久居留身份证号码校验位不正确，请核对号码是否抄错。"), field=FIELD
        )
    return s


def _check_born(born: date | None, digits: str, where: str, today: date) -> None:
    if born is None:
        raise InvalidInput(
            N_("外国人永久居留身份证号码%(where)s的出生日期“%(digits)s”不是真实存在的日期。"),
            field=FIELD,
            where=where,
            digits=digits,
        )
    if born > today or born < EARLIEST_BIRTH_DATE:
        raise InvalidInput(
            N_("外国人永久居留身份证号码中的出生日期%(born)s不在合理范围内，请核对%(where)s。"),
            field=FIELD,
            born=born.isoformat(),
            where=where,
        )


def check_passport(s: str) -> str:
    """Return a passport number (ICAO 9303: 5–17 letters and digits), or raise InvalidInput."""
    s = _compact(s).replace("<", "")
    if not s:
        raise InvalidInput(N_("请填写护照号码。"), field=FIELD)
    for pos, char in enumerate(s, start=1):
        if not ("0" <= char <= "9" or "A" <= char <= "Z"):
            raise InvalidInput(
                N_("护照号码第%(pos)s位“%(char)s”不正确：护照号码只由英文字母和数字组成。"),
                field=FIELD,
                pos=pos,
                char=char,
            )
    if not 5 <= len(s) <= 17:
        raise InvalidInput(
            N_("护照号码应为5至17位英文字母和数字，您输入了%(n)s位。"), field=FIELD, n=len(s)
        )
    if not any(c.isdigit() for c in s):
        raise InvalidInput(N_("护照号码中应有数字，请核对是否填成了姓名或国籍。"), field=FIELD)
    return s


def check_identity_document(id_type: str, s: str, *, today: date | None = None) -> str:
    """Return the normalised number of a document of this type, or raise InvalidInput saying why."""
    if id_type == RESIDENT_ID:
        return check_resident_id(s, today=today)
    if id_type == HK_MACAO_PERMIT:
        return check_hk_macao_permit(s)
    if id_type == TAIWAN_PERMIT:
        return check_taiwan_permit(s)
    if id_type == RESIDENCE_PERMIT:
        return check_residence_permit(s, today=today)
    if id_type == FOREIGN_PERMANENT:
        return check_foreign_permanent(s, today=today)
    if id_type == PASSPORT:
        return check_passport(s)
    raise InvalidInput(N_("请选择证件类型。"), field="id_type")


def mask_document_number(s: str | None) -> str:
    """Return a document number with its middle hidden: 3 + 4 shown of 15 or more characters (as
    resident ID numbers are masked), 1 + 3 of 8 to 14, none of fewer."""
    s = _compact(s or "")
    if len(s) >= 15:
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    if len(s) >= 8:
        return s[:1] + "*" * (len(s) - 4) + s[-3:]
    return "*" * len(s)
