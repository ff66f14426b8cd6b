"""Fees (窗口开票、银行收款): the fold's steps for a case's fee, and the rule that an approved case
is not completed while its fee is unpaid.

The catalogue gives an item its fee: the amount in fen (``fee_fen``) and the fee code it is paid
against (``fee_code``, 收费项目编码 / 执收代码), copied into the case's item when it is registered.
The window issues the payment notice (缴款通知书, ``fee_assessed``) with that code and amount; the
applicant pays at the bank, and the window records the bank's receipt number, the amount and the
day paid (``payment_recorded``); or a township reviewer waives the fee with its basis (减免依据,
``fee_exempted``). These are the window's acts: central never writes them. Like every step of the
fold, these read no clock and no database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sync import events as ev
from sync.case_payloads import text_field as _text
from sync.case_state import CaseState
from sync.case_state import with_changes as _with
from sync.errors import N_, InvalidInput, NotAllowed

MAX_NUMBER = 40
MAX_BASIS = 300
MAX_NOTE = 300

DUE, PAID, EXEMPTED, NONE = "due", "paid", "exempted", "none"
STATUS_LABELS = {
    DUE: N_("未缴费"),
    PAID: N_("已缴费"),
    EXEMPTED: N_("已减免"),
    NONE: N_("不收费"),
}

NO_FEE = N_("该事项不收费，不需要开具缴款通知书或登记缴款。")
NOT_FROM_ABOVE = N_("收费由受理窗口开票和登记，上级单位不能代为登记。")
UNPAID = N_(
    "该办件应缴费 %(yuan)s 元（收费编码 %(code)s）尚未缴纳，也未减免，不能办结。"
    "请先登记银行缴款，或经审核人员批准减免。"
)


def yuan(fen: int) -> str:
    """Show an amount in fen as yuan with two decimals (2000 → "20.00")."""
    return f"{fen // 100}.{fen % 100:02d}"


def fee_fen(state: CaseState) -> int:
    """Return the fee of the case's item in fen (0: the item charges none)."""
    value = state.item.get("fee_fen") or 0
    return int(value)


def fee_status(state: CaseState) -> str:
    """Return where the case's fee stands: none charged, due, paid or exempted."""
    if not fee_fen(state):
        return NONE
    fee = state.fee or {}
    if fee.get("payment"):
        return PAID
    if fee.get("exemption"):
        return EXEMPTED
    return DUE


def check_fee_settled(state: CaseState, outcome: object) -> None:
    """Refuse to complete a case approved while its fee is neither paid nor waived (a refused case
    owes nothing)."""
    if outcome == "approved" and fee_status(state) == DUE:
        raise NotAllowed(
            UNPAID, yuan=yuan(fee_fen(state)), code=str(state.item.get("fee_code") or "")
        )


def _window_only(state: CaseState, event: ev.Event) -> None:
    if event.writer == ev.CENTRAL_WRITER:
        raise NotAllowed(NOT_FROM_ABOVE)
    if not fee_fen(state):
        raise NotAllowed(NO_FEE)


def _settled(state: CaseState) -> None:
    fee = state.fee or {}
    if fee.get("payment"):
        raise NotAllowed(
            N_("该办件已登记缴款（银行回单号 %(number)s），不能重复登记或减免。"),
            number=fee["payment"]["receipt_number"],
        )
    if fee.get("exemption"):
        raise NotAllowed(N_("该办件的收费已经减免，不需要再缴款或开票。"))


def _number(p: Mapping[str, Any], key: str, message: str) -> str:
    value = _text(p, key, message)
    if len(value) > MAX_NUMBER:
        raise InvalidInput(
            N_("编号最多 %(most)s 个字符，现有 %(count)s 个。"),
            field=key,
            most=MAX_NUMBER,
            count=len(value),
        )
    return value


def _amount(p: Mapping[str, Any]) -> int:
    value = p.get("amount_fen")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(N_("金额不正确：请按元填写，如 20.00。"), field="amount_fen")
    return value


def _assessed(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    _window_only(state, event)
    _settled(state)
    if state.fee and state.fee.get("notice_number"):
        raise NotAllowed(
            N_("缴款通知书已经开具（编号 %(number)s），不能重复开具；需要时请重新打印。"),
            number=state.fee["notice_number"],
        )
    code = str(state.item.get("fee_code") or "")
    if _text(p, "fee_code", N_("缺少收费编码。")) != code:
        raise InvalidInput(
            N_("收费编码与事项目录不符：应为 %(code)s。"), field="fee_code", code=code
        )
    due = fee_fen(state)
    if _amount(p) != due:
        raise InvalidInput(
            N_("收费金额与事项目录不符：应为 %(yuan)s 元。"), field="amount_fen", yuan=yuan(due)
        )
    fee = {
        "fee_code": code,
        "amount_fen": due,
        "notice_number": _number(p, "notice_number", N_("缺少缴款通知书编号。")),
        "assessed_on": event.day.isoformat(),
        "assessed_by": event.actor,
        "assessed_at": event.at,
        "payment": None,
        "exemption": None,
    }
    return _with(state, fee=fee)


def _paid(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    _window_only(state, event)
    _settled(state)
    fee = dict(state.fee or {})
    if not fee.get("notice_number"):
        raise NotAllowed(N_("请先开具缴款通知书，申请人凭通知书到银行缴款后再登记。"))
    receipt = _number(p, "receipt_number", N_("请填写银行回单号（缴款凭证号）。"))
    amount = _amount(p)
    if amount != fee["amount_fen"]:
        raise InvalidInput(
            N_("缴款金额 %(paid)s 元与应缴金额 %(due)s 元不符，请核对银行回单。"),
            field="amount_fen",
            paid=yuan(amount),
            due=yuan(fee["amount_fen"]),
        )
    raw_day = _text(p, "paid_on", N_("请填写缴款日期。"))
    try:
        paid_on = date.fromisoformat(raw_day)
    except ValueError:
        raise InvalidInput(N_("缴款日期请按「2026-12-07」的格式填写。"), field="paid_on") from None
    if paid_on > event.day:
        raise InvalidInput(N_("缴款日期不能晚于登记当天。"), field="paid_on")
    if paid_on.isoformat() < fee["assessed_on"]:
        raise InvalidInput(
            N_("缴款日期不能早于开具缴款通知书的日期（%(day)s）。"),
            field="paid_on",
            day=fee["assessed_on"],
        )
    fee["payment"] = {
        "receipt_number": receipt,
        "amount_fen": amount,
        "paid_on": paid_on.isoformat(),
        "by": event.actor,
        "at": event.at,
    }
    return _with(state, fee=fee)


def _exempted(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    _window_only(state, event)
    _settled(state)
    basis = _text(p, "basis", N_("减免必须写明减免依据（如文件名称和条款）。"))
    note = _text(p, "note", "", required=False)
    if len(basis) > MAX_BASIS or len(note) > MAX_NOTE:
        raise InvalidInput(
            N_("减免依据和说明各最多 %(most)s 个字。"), field="basis", most=MAX_BASIS
        )
    fee = dict(state.fee or {})
    fee.setdefault("fee_code", str(state.item.get("fee_code") or ""))
    fee.setdefault("amount_fen", fee_fen(state))
    fee.setdefault("notice_number", "")
    fee.setdefault("payment", None)
    fee["exemption"] = {
        "basis": basis,
        "note": note,
        "amount_fen": fee["amount_fen"],
        "by": event.actor,
        "at": event.at,
        "on": event.day.isoformat(),
    }
    return _with(state, fee=fee)


FEE_STEPS: dict[str, Callable[[CaseState, ev.Event, Mapping[str, Any]], CaseState]] = {
    ev.FEE_ASSESSED: _assessed,
    ev.PAYMENT_RECORDED: _paid,
    ev.FEE_EXEMPTED: _exempted,
}


_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def _whole_in_words(n: int) -> str:
    text, zero, digits = "", False, str(n)
    for index, char in enumerate(digits):
        position, digit = len(digits) - 1 - index, int(char)
        if digit == 0:
            zero = True
        else:
            if zero:
                text += "零"
                zero = False
            text += _DIGITS[digit] + ("", "拾", "佰", "仟")[position % 4]
        group = position // 4
        if position % 4 == 0 and group and (n // 10 ** (4 * group)) % 10000:
            text += ("", "万", "亿", "万亿")[group]
    return text


def amount_in_words(fen: int) -> str:
    """Write an amount in capital Chinese numerals as a payment notice does (2000 → 贰拾元整)."""
    whole, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    text = _whole_in_words(whole) + "元" if whole else ""
    if not jiao and not cents:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif whole:
        text += "零"
    return text + (_DIGITS[cents] + "分" if cents else "整")
