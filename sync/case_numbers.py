"""Case numbers (办件编号) and query codes (查询码) printed on receipts.

A case number is made on the PC with no network, so it must be unique without asking anybody:
``YYYYMMDD-<division code>-<device code>-<daily sequence>``, e.g. ``20261125-370613004-A7-0042``.
The date comes first, so numbers sort by day; the division code names the unit and the device code
the PC within it (assigned at enrollment), and the sequence counts that PC's cases of that day.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from sync.errors import N_, InvalidInput

# No 0/O, 1/I/L: a resident reads the query code off paper and types it on a phone.
QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 6

_DEVICE_CODE = re.compile(r"^[A-Z0-9]{2,4}$")
_CASE_NUMBER = re.compile(r"^(\d{8})-(\d{6}|\d{9}|\d{12})-([A-Z0-9]{2,4})-(\d{4,6})$")


@dataclass(frozen=True)
class CaseNumber:
    """The parts of a case number."""

    day: date
    org_code: str
    device_code: str
    sequence: int

    def __str__(self) -> str:
        return f"{self.day:%Y%m%d}-{self.org_code}-{self.device_code}-{self.sequence:04d}"


def format_case_number(day: date, org_code: str, device_code: str, sequence: int) -> str:
    """Return the printed case number of a PC's n-th case of a day."""
    if not _DEVICE_CODE.match(device_code):
        raise InvalidInput(N_("设备代码应为2至4位大写字母或数字。"), field="device_code")
    if not (org_code.isascii() and org_code.isdigit() and len(org_code) in (6, 9, 12)):
        raise InvalidInput(N_("行政区划代码应为6、9或12位数字。"), field="org_code")
    if not 1 <= sequence <= 999_999:
        raise InvalidInput(N_("当日办件序号超出范围。"), field="sequence")
    return str(CaseNumber(day, org_code, device_code, sequence))


def parse_case_number(text: str) -> CaseNumber:
    """Split a printed case number into its parts, or refuse it with a message."""
    match = _CASE_NUMBER.match(text.strip().upper())
    if not match:
        raise InvalidInput(
            N_("办件编号格式不正确，应如 20261125-370613004-A7-0042。"), field="case_number"
        )
    day_text, org_code, device_code, sequence = match.groups()
    try:
        day = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:]))
    except ValueError:
        raise InvalidInput(N_("办件编号中的日期不存在。"), field="case_number") from None
    return CaseNumber(day, org_code, device_code, int(sequence))


def new_query_code() -> str:
    """Return a fresh random query code for the public progress page."""
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def device_code_from_id(device_id: str) -> str:
    """Derive a provisional two-character device code from a device UUID (before enrollment)."""
    digits = int(device_id.replace("-", ""), 16)
    alphabet = QUERY_CODE_ALPHABET
    return alphabet[digits % len(alphabet)] + alphabet[(digits // len(alphabet)) % len(alphabet)]
