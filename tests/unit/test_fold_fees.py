"""The fold's rules for the green channel and fees: a grant with its reason and approver and the
catalogue's shorter limit, the payment notice, the bank payment, the exemption, and an approved case
refused completion while its fee is unpaid — each refusal with its message."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from sync import events as ev
from sync.case_clock import promised_completion
from sync.case_figures import calendar_rules, contributions, recount
from sync.case_state import CaseState
from sync.deadlines import DEFAULT_CALENDAR
from sync.errors import InvalidInput, NotAllowed
from sync.fee_rules import DUE, EXEMPTED, NONE, PAID, amount_in_words, fee_status
from sync.fold import apply_event, fold
from sync.green_channel import priority_of
from tests.unit.casefactory import CaseLog, registered_payload


def fee_case(fee_fen: int = 2000, kind: str = "promised") -> CaseLog:
    """A case of an item charging ``fee_fen`` against fee code FEE-001, accepted."""
    payload = registered_payload(kind)
    payload["item"].update(fee_fen=fee_fen, fee_code="FEE-001" if fee_fen else None)
    log = CaseLog()
    log.add(ev.REGISTERED, payload)
    log.add(ev.ACCEPTED)
    return log


def notice(amount: int = 2000, code: str = "FEE-001") -> dict[str, Any]:
    return {"fee_code": code, "amount_fen": amount, "notice_number": "JK20260302-0001"}


def paid(day: str = "2026-03-02", amount: int = 2000, number: str = "95588-0001") -> dict:
    return {"receipt_number": number, "amount_fen": amount, "paid_on": day}


APPROVED = {"outcome": "approved", "document_number": "", "reasons": "", "note": ""}


def refusal(log: CaseLog, event_type: str, payload: dict[str, Any]) -> str:
    """Return the message with which the fold refuses one more event on the case."""
    state = fold(log.events)
    extra = CaseLog(log.case_id, log.writer)
    extra.events, extra.moment = list(log.events), log.moment
    with pytest.raises((InvalidInput, NotAllowed)) as refused:
        apply_event(state, extra.add(event_type, payload))
    return str(refused.value)


def test_an_approved_case_with_its_fee_unpaid_is_not_completed():
    log = fee_case()
    message = refusal(log, ev.COMPLETED, APPROVED)
    assert message == (
        "该办件应缴费 20.00 元（收费编码 FEE-001）尚未缴纳，也未减免，不能办结。"
        "请先登记银行缴款，或经审核人员批准减免。"
    )
    log.add(ev.FEE_ASSESSED, notice())
    assert "尚未缴纳" in refusal(log, ev.COMPLETED, APPROVED)


def test_the_fee_paid_at_the_bank_lets_the_case_complete():
    log = fee_case()
    log.add(ev.FEE_ASSESSED, notice())
    assert fee_status(fold(log.events)) == DUE
    log.add(ev.PAYMENT_RECORDED, paid())
    state = fold(log.events)
    assert fee_status(state) == PAID
    assert state.fee["payment"]["receipt_number"] == "95588-0001"
    assert state.fee["notice_number"] == "JK20260302-0001"
    log.add(ev.COMPLETED, APPROVED)
    assert fold(log.events).state == "completed"


def test_an_exempted_fee_lets_the_case_complete_and_keeps_its_basis():
    log = fee_case()
    log.add(
        ev.FEE_EXEMPTED, {"basis": "《残疾人保障法》第五十条：残疾人免收证照工本费", "note": ""}
    )
    state = fold(log.events)
    assert fee_status(state) == EXEMPTED
    assert state.fee["exemption"]["basis"].startswith("《残疾人保障法》")
    assert state.fee["exemption"]["amount_fen"] == 2000
    log.add(ev.COMPLETED, APPROVED)
    assert fold(log.events).state == "completed"


def test_a_refused_case_owes_no_fee_and_an_item_without_fee_needs_none():
    log = fee_case()
    log.add(ev.COMPLETED, {**APPROVED, "outcome": "refused", "reasons": "不符合条件"})
    assert fold(log.events).state == "completed"
    free = fee_case(0)
    assert fee_status(fold(free.events)) == NONE
    free.add(ev.COMPLETED, APPROVED)
    assert fold(free.events).state == "completed"


@pytest.mark.parametrize(
    ("steps", "event_type", "payload", "message"),
    [
        ([], ev.PAYMENT_RECORDED, paid(), "请先开具缴款通知书，申请人凭通知书到银行缴款后再登记。"),
        ([], ev.FEE_ASSESSED, notice(1500), "收费金额与事项目录不符：应为 20.00 元。"),
        ([], ev.FEE_ASSESSED, notice(code="FEE-999"), "收费编码与事项目录不符：应为 FEE-001。"),
        ([], ev.FEE_ASSESSED, {**notice(), "notice_number": ""}, "缺少缴款通知书编号。"),
        (
            [(ev.FEE_ASSESSED, notice())],
            ev.FEE_ASSESSED,
            notice(),
            "缴款通知书已经开具（编号 JK20260302-0001），不能重复开具；需要时请重新打印。",
        ),
        (
            [(ev.FEE_ASSESSED, notice())],
            ev.PAYMENT_RECORDED,
            paid(amount=200),
            "缴款金额 2.00 元与应缴金额 20.00 元不符，请核对银行回单。",
        ),
        (
            [(ev.FEE_ASSESSED, notice())],
            ev.PAYMENT_RECORDED,
            {**paid(), "receipt_number": " "},
            "请填写银行回单号（缴款凭证号）。",
        ),
        (
            [(ev.FEE_ASSESSED, notice())],
            ev.PAYMENT_RECORDED,
            paid(day="2026-3-2"),
            "缴款日期请按「2026-12-07」的格式填写。",
        ),
        (
            [(ev.FEE_ASSESSED, notice())],
            ev.PAYMENT_RECORDED,
            paid(day="2026-03-09"),
            "缴款日期不能晚于登记当天。",
        ),
        (
            [(ev.FEE_ASSESSED, notice())],
            ev.PAYMENT_RECORDED,
            paid(day="2026-03-01"),
            "缴款日期不能早于开具缴款通知书的日期（2026-03-02）。",
        ),
        (
            [(ev.FEE_ASSESSED, notice())],
            ev.PAYMENT_RECORDED,
            {**paid(), "amount_fen": 20.0},
            "数据中不允许出现小数：payload.payload.amount_fen",
        ),
        (
            [(ev.FEE_ASSESSED, notice()), (ev.PAYMENT_RECORDED, paid())],
            ev.PAYMENT_RECORDED,
            paid(number="95588-0002"),
            "该办件已登记缴款（银行回单号 95588-0001），不能重复登记或减免。",
        ),
        (
            [(ev.FEE_ASSESSED, notice()), (ev.PAYMENT_RECORDED, paid())],
            ev.FEE_EXEMPTED,
            {"basis": "文件"},
            "该办件已登记缴款（银行回单号 95588-0001），不能重复登记或减免。",
        ),
        (
            [(ev.FEE_EXEMPTED, {"basis": "文件"})],
            ev.FEE_ASSESSED,
            notice(),
            "该办件的收费已经减免，不需要再缴款或开票。",
        ),
        ([], ev.FEE_EXEMPTED, {"basis": "  "}, "减免必须写明减免依据（如文件名称和条款）。"),
    ],
)
def test_fee_steps_out_of_order_or_wrong_are_refused_with_their_message(
    steps, event_type, payload, message
):
    log = fee_case()
    for step_type, step_payload in steps:
        log.add(step_type, step_payload)
    try:
        got = refusal(log, event_type, payload)
    except InvalidInput as early:  # a float is refused when the event is made, before the fold
        got = str(early)
    assert got == message


def test_an_item_without_fee_refuses_every_fee_step():
    log = fee_case(0)
    for event_type, payload in (
        (ev.FEE_ASSESSED, notice(0)),
        (ev.PAYMENT_RECORDED, paid()),
        (ev.FEE_EXEMPTED, {"basis": "文件"}),
    ):
        assert refusal(log, event_type, payload) == "该事项不收费，不需要开具缴款通知书或登记缴款。"


def test_central_may_not_write_the_windows_fee_or_green_channel():
    log = fee_case()
    central = CaseLog(log.case_id, ev.CENTRAL_WRITER)
    state = fold(log.events)
    with pytest.raises(NotAllowed, match="收费由受理窗口开票和登记"):
        apply_event(state, central.add(ev.FEE_ASSESSED, notice()))
    with pytest.raises(NotAllowed, match="绿色通道由受理乡镇的审核人员批准"):
        apply_event(state, central.add(ev.GREEN_CHANNEL_GRANTED, {"reason": "重点项目"}))


def test_a_finished_case_takes_no_fee_or_green_channel_step():
    log = fee_case()
    log.add(ev.COMPLETED, {**APPROVED, "outcome": "refused", "reasons": "不符合条件"})
    message = refusal(log, ev.GREEN_CHANNEL_GRANTED, {"reason": "急难"})
    assert message == "办件当前状态为「已办结」，不能「批准绿色通道」。"
    assert "不能「登记银行缴款」" in refusal(log, ev.PAYMENT_RECORDED, paid())


def green_item_case(green_days: int | None = 2) -> CaseLog:
    payload = registered_payload("promised")  # promised 5 working days
    if green_days is not None:
        payload["item"]["green_channel_days"] = green_days
    log = CaseLog()
    log.add(ev.REGISTERED, payload)
    return log


def test_a_green_channel_granted_before_acceptance_takes_the_catalogues_shorter_limit():
    log = green_item_case(2)
    log.add(ev.GREEN_CHANNEL_GRANTED, {"reason": "重点招商项目：万华产业园配套"})
    log.add(ev.ACCEPTED)
    state = fold(log.events)
    assert state.green_channel and priority_of(state) == 1
    assert state.green["reason"] == "重点招商项目：万华产业园配套"
    assert state.green["by"] == "chuangkou" and state.green["regular_promised_days"] == 5
    assert state.item["promised_days"] == 2
    # Accepted Monday 2026-03-02: two working days later is Wednesday, not the regular Monday.
    assert promised_completion(state) == date(2026, 3, 4)


def test_a_green_channel_granted_after_acceptance_keeps_the_receipts_promise():
    log = green_item_case(2)
    log.add(ev.ACCEPTED)
    log.add(ev.GREEN_CHANNEL_GRANTED, {"reason": "急难情况"})
    state = fold(log.events)
    assert state.green_channel and state.item["promised_days"] == 5
    assert state.green["regular_promised_days"] is None
    assert promised_completion(state) == date(2026, 3, 9)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"reason": ""}, "批准绿色通道必须写明理由（如重点项目名称、急难情况）。"),
        ({}, "批准绿色通道必须写明理由（如重点项目名称、急难情况）。"),
        ({"reason": "急" * 501}, "理由最多 500 个字，现有 501 个字。"),
    ],
)
def test_a_green_channel_without_a_fit_reason_is_refused(payload, message):
    assert refusal(green_item_case(None), ev.GREEN_CHANNEL_GRANTED, payload) == message


def test_a_case_is_put_in_the_green_channel_once():
    log = green_item_case(None)
    log.add(ev.GREEN_CHANNEL_GRANTED, {"reason": "重点项目"})
    message = refusal(log, ev.GREEN_CHANNEL_GRANTED, {"reason": "再来一次"})
    assert message == "该办件已在绿色通道中，不需要再次批准。"


@pytest.mark.parametrize("days", [0, 6, True, "2"])
def test_a_green_channel_limit_outside_one_to_the_promised_limit_is_refused(days):
    payload = registered_payload("promised")
    payload["item"]["green_channel_days"] = days
    log = CaseLog()
    with pytest.raises(InvalidInput, match="绿色通道时限须为 1 至承诺时限之间的工作日数"):
        fold([log.add(ev.REGISTERED, payload)])


def test_the_green_channel_figure_counts_the_grant_on_its_day_under_the_approver():
    rules = calendar_rules(DEFAULT_CALENDAR)
    log = green_item_case(None)
    log.add(ev.GREEN_CHANNEL_GRANTED, {"reason": "重点项目"}, after=timedelta(days=1))
    state = fold(log.events)
    counts = contributions(state, rules)
    assert counts[("unit", "370613004", "2026-03-03", "green_channel")] == 1
    assert counts[("staff", "370613004/chuangkou", "2026-03-03", "green_channel")] == 1
    plain = fold(green_item_case(None).events)
    assert not any(key[3] == "green_channel" for key in contributions(plain, rules))
    assert recount([state, plain], rules) == contributions(state, rules) + contributions(
        plain, rules
    )


def test_a_finished_green_case_keeps_its_mark_but_no_longer_goes_first():
    log = green_item_case(None)
    log.add(ev.GREEN_CHANNEL_GRANTED, {"reason": "重点项目"})
    log.add(ev.WITHDRAWN, {"reason": "申请人不再需要"})
    state: CaseState = fold(log.events)
    assert state.green_channel and priority_of(state) == 0


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (2000, "贰拾元整"),
        (5, "伍分"),
        (101, "壹元零壹分"),
        (10000500, "壹拾万零伍元整"),
        (12345678, "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
    ],
)
def test_the_payment_notice_writes_the_amount_in_capital_numerals(fen, words):
    assert amount_in_words(fen) == words
