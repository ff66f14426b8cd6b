"""The fold's rules for ratings (一事一评): each step once, at its moment, from its channels."""

from __future__ import annotations

from typing import Any

import pytest

from sync import events as ev
from sync import fold
from sync.errors import InvalidInput, NotAllowed
from sync.rating_scale import NATIONAL_FIVE, WINDOW_2015, RatingScale, check_rating
from tests.unit.casefactory import CaseLog, registered_payload

SCALES = [NATIONAL_FIVE, WINDOW_2015]
COMPLETE = {"outcome": "approved", "document_number": "民〔2026〕1号"}


def rating(scale: RatingScale = NATIONAL_FIVE, **changes: Any) -> dict[str, Any]:
    """Return a valid anonymous window rating of the acceptance step on a scale's best level."""
    best = scale.levels[0]
    return {
        "step": "acceptance",
        "scale_version": scale.version,
        "level": best.code,
        "bad": best.bad,
        "reasons": [],
        "comment": "",
        "channel": "window",
        "named": False,
        **changes,
    }


def case(*steps: tuple[str, dict[str, Any]], writer: str = "device-1") -> CaseLog:
    log = CaseLog(writer=writer)
    log.add(ev.REGISTERED, registered_payload())
    for event_type, payload in steps:
        log.add(event_type, payload)
    return log


def rate(log: CaseLog, payload: dict[str, Any]) -> fold.CaseState:
    state = fold.fold(log.events)
    return fold.apply_event(state, log.add(ev.RATED, payload))


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: s.version)
def test_every_level_of_either_scale_is_folded_into_the_cases_ratings(scale: RatingScale) -> None:
    for level in scale.levels:
        reasons = ["attitude"] if level.bad else []
        payload = rating(scale, level=level.code, bad=level.bad, reasons=reasons, comment="好")
        check_rating(scale, payload)  # what the window checks before it writes
        state = rate(case((ev.ACCEPTED, {})), payload)
        (kept,) = state.ratings
        assert (kept["level"], kept["bad"], kept["reasons"]) == (level.code, level.bad, reasons)
        assert kept["scale_version"] == scale.version and kept["channel"] == "window"
        assert state.rating("acceptance") == kept and state.rating("result") is None


def test_a_named_rating_keeps_the_name_and_phone_and_an_anonymous_one_neither() -> None:
    named = rate(
        case((ev.ACCEPTED, {})),
        rating(named=True, rater_name=" 张三 ", rater_phone="13800138000"),
    )
    assert (named.ratings[0]["rater_name"], named.ratings[0]["rater_phone"]) == (
        "张三",
        "13800138000",
    )
    anonymous = rate(case((ev.ACCEPTED, {})), rating())
    assert (anonymous.ratings[0]["rater_name"], anonymous.ratings[0]["rater_phone"]) == ("", "")


def test_a_step_is_rated_once_and_a_second_rating_changes_nothing() -> None:
    log = case((ev.ACCEPTED, {}))
    first = rate(log, rating())
    second = log.add(ev.RATED, rating(level="very_dissatisfied", bad=True))
    with pytest.raises(NotAllowed) as refused:
        fold.apply_event(first, second)
    assert refused.value.message == "本办件的这一环节已经评价过了，每个环节只能评价一次。"
    assert len(first.ratings) == 1 and first.ratings[0]["level"] == "very_satisfied"


def test_the_acceptance_and_the_result_are_rated_apart() -> None:
    log = case((ev.ACCEPTED, {}), (ev.COMPLETED, COMPLETE))
    log.add(ev.RATED, rating())
    log.add(ev.RATED, rating(step="result", level="dissatisfied", bad=True, reasons=["slow"]))
    state = fold.fold(log.events)
    assert [(r["step"], r["bad"]) for r in state.ratings] == [
        ("acceptance", False),
        ("result", True),
    ]


# (events before the rating, the rated step, the fold's message)
TOO_EARLY = [
    ((), "acceptance", "办件尚未受理或作出不予受理决定，还不能评价受理环节。"),
    (
        ((ev.SUPPLEMENT_REQUESTED, {"missing": [{"code": "M01", "name": "身份证"}]}),),
        "acceptance",
        "办件尚未受理或作出不予受理决定，还不能评价受理环节。",
    ),
    ((), "result", "办件尚未办结，还不能评价办理结果。"),
    (((ev.ACCEPTED, {}),), "result", "办件尚未办结，还不能评价办理结果。"),
    (
        ((ev.WITHDRAWN, {"reason": "不办了"}),),
        "acceptance",
        "办件尚未受理或作出不予受理决定，还不能评价受理环节。",
    ),
]


@pytest.mark.parametrize(("before", "step", "message"), TOO_EARLY)
def test_a_step_is_rated_only_once_its_moment_came(before: Any, step: str, message: str) -> None:
    with pytest.raises(NotAllowed) as refused:
        rate(case(*before), rating(step=step))
    assert refused.value.message == message


@pytest.mark.parametrize(
    ("before", "steps"),
    [
        (((ev.REFUSED, {"reason": "不属于本单位受理范围"}),), ("acceptance", "result")),
        (((ev.ACCEPTED, {}), (ev.COMPLETED, COMPLETE)), ("acceptance", "result")),
        (((ev.ACCEPTED, {}), (ev.WITHDRAWN, {"reason": "不办了"})), ("acceptance", "result")),
        (((ev.WITHDRAWN, {"reason": "不办了"}),), ("result",)),
    ],
    ids=["refused", "completed", "withdrawn-after-acceptance", "withdrawn-before"],
)
def test_refused_and_withdrawn_cases_may_be_rated_as_the_national_system_allows(
    before: Any, steps: tuple[str, ...]
) -> None:
    log = case(*before)
    for step in steps:
        log.add(ev.RATED, rating(step=step))
    assert [r["step"] for r in fold.fold(log.events).ratings] == list(steps)


# (changes to a valid rating, the message): each refused, nothing changes.
BAD_PAYLOADS = [
    ({"step": "delivery"}, "请选择评价的环节（受理或办理结果）。"),
    ({"step": None}, "请选择评价的环节（受理或办理结果）。"),
    ({"channel": "online"}, "评价渠道不正确。"),
    ({"channel": "kiosk"}, "评价渠道不正确。"),
    ({"bad": "false"}, "评价缺少差评标记。"),
    ({"bad": None}, "评价缺少差评标记。"),
    ({"reasons": "slow"}, "评价原因格式不正确。"),
    ({"reasons": [1]}, "评价原因格式不正确。"),
    ({"reasons": ["slow", "slow"]}, "评价原因重复。"),
    ({"comment": 5}, "评价意见格式不正确。"),
    ({"comment": "慢" * 501}, "评价意见最多 500 个字，现有 501 个字。"),
    ({"named": None}, "请选择实名或匿名评价。"),
    ({"named": "yes"}, "请选择实名或匿名评价。"),
    ({"named": True, "rater_phone": "13800138000"}, "实名评价请填写姓名。"),
    ({"named": True, "rater_name": "张三"}, "实名评价请填写手机号码。"),
    ({"named": True, "rater_name": "张" * 41, "rater_phone": "13800138000"}, "姓名过长。"),
    (
        {"named": True, "rater_name": "张三", "rater_phone": "1380013800"},
        "手机号码应为11位数字，您输入了10位。",
    ),
    ({"named": True, "rater_name": "张三", "rater_phone": "138-0013-8000"}, "手机号码格式不正确。"),
    ({"rater_name": "张三"}, "匿名评价不留姓名和电话。"),
    ({"rater_phone": "13800138000"}, "匿名评价不留姓名和电话。"),
    ({"scale_version": ""}, "评价缺少评价标准版本。"),
    ({"level": " "}, "请选择评价等级。"),
    ({"level": None}, "请选择评价等级。"),
]


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: s.version)
@pytest.mark.parametrize(("changes", "message"), BAD_PAYLOADS)
def test_a_malformed_rating_is_refused_with_its_message_and_changes_nothing(
    changes: dict[str, Any], message: str, scale: RatingScale
) -> None:
    log = case((ev.ACCEPTED, {}))
    state = fold.fold(log.events)
    with pytest.raises(InvalidInput) as refused:
        fold.apply_event(state, log.add(ev.RATED, rating(scale, **changes)))
    assert refused.value.message == message
    assert state.ratings == ()


@pytest.mark.parametrize("channel", ["online", "sms"])
def test_online_and_sms_ratings_come_only_from_central(channel: str) -> None:
    township = case((ev.REFUSED, {"reason": "材料不属实"}))
    central = CaseLog(writer=ev.CENTRAL_WRITER)
    central.moment = township.moment
    event = central.add(ev.RATED, rating(step="result", channel=channel))
    state = fold.apply_event(fold.fold(township.events), event)
    assert state.ratings[0]["channel"] == channel
    window = central.add(ev.RATED, rating(channel="window"))
    with pytest.raises(InvalidInput, match="评价渠道不正确"):
        fold.apply_event(state, window)


def test_an_agent_records_a_rating_only_for_an_agency_points_case() -> None:
    with pytest.raises(NotAllowed) as refused:
        rate(case((ev.ACCEPTED, {})), rating(channel="agent"))
    assert refused.value.message == "只有村代办点经办的办件才能由代办员登记评价。"
    payload = registered_payload()
    payload.update(channel="village", agency_code="370613004201")
    log = CaseLog(writer="village-pc")
    log.add(ev.REGISTERED, payload)
    log.add(ev.ACCEPTED)
    assert rate(log, rating(channel="agent")).ratings[0]["channel"] == "agent"


def test_states_stored_before_ratings_existed_still_load() -> None:
    log = case((ev.ACCEPTED, {}))
    stored = fold.fold(log.events).to_dict()
    del stored["ratings"]
    state = fold.CaseState.from_dict(stored)
    assert state.ratings == ()
    rated = rate(log, rating())
    assert fold.CaseState.from_dict(rated.to_dict()) == rated
