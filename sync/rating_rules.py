"""The fold's step for a `rated` event (一事一评): which moment each rating step needs, once per
step, and the shape of the rating (channel, 差评 flag, reasons, comment, 实名 or anonymous).

The scale itself (which levels exist, which are 差评, which reasons are published) is checked where
it is known: at the window against the installed scale, at central against the published one
(``sync.rating_scale.check_rating``). Like every step, this reads no clock and no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync import events as ev
from sync.case_payloads import text_field as _text
from sync.case_state import (
    CENTRAL_RATING_CHANNELS,
    DEVICE_RATING_CHANNELS,
    FINAL_STATES,
    NOT_ACCEPTED,
    RATING_STEPS,
    CaseState,
)
from sync.case_state import with_changes as _with
from sync.errors import N_, InvalidInput, NotAllowed
from sync.ids import check_mobile
from sync.rectification_rules import open_task

MAX_RATING_COMMENT = 500
MAX_RATER_NAME = 40
ALREADY_RATED = N_("本办件的这一环节已经评价过了，每个环节只能评价一次。")


# What to say of a step rated before its moment.
_TOO_EARLY = {
    "acceptance": N_("办件尚未受理或作出不予受理决定，还不能评价受理环节。"),
    "result": N_("办件尚未办结，还不能评价办理结果。"),
}


def moment_came(state: CaseState, step: str) -> bool:
    """Tell whether a step of the case may be rated now: its acceptance once the case was
    accepted or refused, its result once the case is final (completed, not accepted, withdrawn)."""
    if step == "acceptance":
        return state.accepted_on is not None or state.state == NOT_ACCEPTED
    return step == "result" and state.state in FINAL_STATES


def open_steps(state: CaseState) -> tuple[str, ...]:
    """Return the steps of the case that may be rated now and are not rated yet."""
    rated = {rating["step"] for rating in state.ratings}
    return tuple(s for s in RATING_STEPS if s not in rated and moment_came(state, s))


def rated_step(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    """Return the state with one more rating, or refuse it: a step rated once, at its moment."""
    step = p.get("step")
    if step not in _TOO_EARLY:
        raise InvalidInput(N_("请选择评价的环节（受理或办理结果）。"), field="step")
    if not moment_came(state, step):
        raise NotAllowed(_TOO_EARLY[step])
    for rating in state.ratings:
        if rating["step"] == step:
            raise NotAllowed(ALREADY_RATED)
    channel = p.get("channel")
    if event.writer == ev.CENTRAL_WRITER:
        if channel not in CENTRAL_RATING_CHANNELS:
            raise InvalidInput(N_("评价渠道不正确。"), field="channel")
    elif channel not in DEVICE_RATING_CHANNELS:
        raise InvalidInput(N_("评价渠道不正确。"), field="channel")
    elif channel == "agent" and state.agency_code is None:
        raise NotAllowed(N_("只有村代办点经办的办件才能由代办员登记评价。"))
    bad = p.get("bad")
    if bad is not True and bad is not False:
        raise InvalidInput(N_("评价缺少差评标记。"), field="bad")
    reasons = p.get("reasons", [])
    if reasons.__class__ is not list or any(r.__class__ is not str for r in reasons):
        raise InvalidInput(N_("评价原因格式不正确。"), field="reasons")
    if len(set(reasons)) != len(reasons):
        raise InvalidInput(N_("评价原因重复。"), field="reasons")
    comment = _text(p, "comment", N_("评价意见格式不正确。"), required=False)
    if len(comment) > MAX_RATING_COMMENT:
        raise InvalidInput(
            N_("评价意见最多 %(most)s 个字，现有 %(count)s 个字。"),
            field="comment",
            most=MAX_RATING_COMMENT,
            count=len(comment),
        )
    named = p.get("named")
    if named is True:
        name = _text(p, "rater_name", N_("实名评价请填写姓名。"))
        if len(name) > MAX_RATER_NAME:
            raise InvalidInput(N_("姓名过长。"), field="rater_name")
        phone = _text(p, "rater_phone", N_("实名评价请填写手机号码。"))
        if check_mobile(phone) != phone:
            raise InvalidInput(N_("手机号码格式不正确。"), field="rater_phone")
    elif named is False:
        if p.get("rater_name", "") or p.get("rater_phone", ""):
            raise InvalidInput(N_("匿名评价不留姓名和电话。"), field="named")
        name = phone = ""
    else:
        raise InvalidInput(N_("请选择实名或匿名评价。"), field="named")
    rating = {
        "rating_id": event.event_id,
        "step": step,
        "scale_version": _text(p, "scale_version", N_("评价缺少评价标准版本。")),
        "level": _text(p, "level", N_("请选择评价等级。")),
        "bad": bad,
        "reasons": list(reasons),
        "comment": comment,
        "channel": channel,
        "named": named,
        "rater_name": name,
        "rater_phone": phone,
        "by": event.actor,
        "at": event.at,
    }
    following = _with(state, ratings=state.ratings + (rating,))
    if not bad:
        return following
    # Every 差评 opens a rectification task for the unit that handled the rated step.
    task = open_task(state, rating, event.day)
    return _with(following, rectifications=state.rectifications + (task,))
