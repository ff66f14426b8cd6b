"""A 差评's rectification (整改) and the callbacks (回访): the fold's steps for them, in one place.

Every 差评 (a `rated` event whose level is a 差评) opens a task for the unit that handled the rated
step: the township for the acceptance, and for the result the unit that decided the case (the county
or city for a forwarded item, else the township). The task goes through its stages in order:

    核实 verify → 整改 rectify → 审核 review (a supervisor at central confirms, or sends it back to
    整改) → 反馈 answer (the answer given to the applicant) → 回访 callback (attempts until the
    applicant is reached) → closed

The unit's steps are written by the unit: a township's by its device, a county's or city's at central.
The review is central's. A callback of a sampled completed case (抽样回访) is an attempt on the case
itself, by whoever calls. Like every step of the fold, these read no clock and no database: the
deadline of a task (``task_due``) is computed from the day it opened and the published rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sync import events as ev
from sync.case_payloads import text_field as _text
from sync.case_state import (
    ANSWER_METHODS,
    CALLBACK_PURPOSES,
    COMPLETED,
    TASK_ANSWER,
    TASK_CALLBACK,
    TASK_CLOSED,
    TASK_RECTIFY,
    TASK_REVIEW,
    TASK_STAGE_LABELS,
    TASK_VERIFY,
    CaseState,
)
from sync.case_state import with_changes as _with
from sync.deadlines import DEFAULT_CALENDAR, WorkingCalendar, add_working_days
from sync.errors import N_, InvalidInput, NotAllowed

MAX_TASK_TEXT = 1000
MAX_CALLBACK_NOTE = 500
OPEN_STAGES = frozenset({TASK_VERIFY, TASK_RECTIFY, TASK_REVIEW, TASK_ANSWER})  # the unit's part

WRONG_STAGE = N_("这条差评当前「%(stage)s」，不能「%(action)s」。")
ALREADY_CALLED = N_("这个办件已经回访过了（已联系上申请人），不需要再回访。")


def task_unit(state: CaseState, step: str) -> str:
    """Return the unit that handled a rated step: the township for the acceptance; for the result,
    the unit above that decided a forwarded item, else the township."""
    if step == "result" and state.state == COMPLETED and state.item["kind"] == "forwarded":
        if state.opinions:
            return str(state.opinions[-1]["to_org"])
    return state.org_code


def open_task(state: CaseState, rating: Mapping[str, Any], day: date) -> dict[str, Any]:
    """Return the rectification task a 差评 opens on the day it came."""
    return {
        "rating_id": rating["rating_id"],
        "step": rating["step"],
        "unit": task_unit(state, rating["step"]),
        "scale_version": rating["scale_version"],
        "opened_at": rating["at"],
        "opened_on": day.isoformat(),
        "stage": TASK_VERIFY,
        "verified": None,
        "rectified": None,
        "reviews": [],
        "answered": None,
        "callbacks": [],
    }


def task_due(
    task: Mapping[str, Any], days: int, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> date:
    """Return the last day the unit may answer the applicant: ``days`` working days after the
    差评 came (the published rules say how many; 5 by default)."""
    return add_working_days(date.fromisoformat(task["opened_on"]), days, calendar)


def answered_on(task: Mapping[str, Any]) -> date | None:
    """Return the day the unit answered the applicant, or None while it has not."""
    answered = task["answered"]
    return None if answered is None else date.fromisoformat(answered["on"])


def is_overdue(task: Mapping[str, Any], due: date, today: date) -> bool:
    """Tell whether a task is late: its answer came after the due day, or has not come by today."""
    done = answered_on(task)
    return done > due if done is not None else today > due


def in_sample(case_id: str, percent: int) -> bool:
    """Tell whether a case falls in the callback sample: a hash of its id, so every server draws
    the same cases for the same share, and a clerk cannot choose which cases are called."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(b"callback-sample:" + case_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < percent * 100


# The fold's steps --------------------------------------------------------------------------------


def _task_of(state: CaseState, p: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    rating_id = _text(p, "rating_id", N_("缺少所整改的差评。"))
    for index, task in enumerate(state.rectifications):
        if task["rating_id"] == rating_id:
            return index, dict(task)
    raise InvalidInput(N_("该办件没有这条差评。"), field="rating_id")


def _at_stage(task: Mapping[str, Any], stage: str, event: ev.Event) -> None:
    if task["stage"] != stage:
        raise NotAllowed(
            WRONG_STAGE,
            stage=TASK_STAGE_LABELS[task["stage"]],
            action=ev.EVENT_LABELS.get(event.type, event.type),
        )


def _by_unit(state: CaseState, task: Mapping[str, Any], event: ev.Event) -> None:
    """Refuse a step of the unit's part written by anyone else: a township's task by its device, a
    county's or city's at central."""
    central = event.writer == ev.CENTRAL_WRITER
    if (task["unit"] == state.org_code) == central:
        raise NotAllowed(
            N_("这条差评由 %(unit)s 核实整改，其他单位不能代为登记。"), unit=task["unit"]
        )


def _say(p: Mapping[str, Any], message: str, event: ev.Event) -> dict[str, Any]:
    text = _text(p, "text", message)
    if len(text) > MAX_TASK_TEXT:
        raise InvalidInput(
            N_("内容最多 %(most)s 个字，现有 %(count)s 个字。"),
            field="text",
            most=MAX_TASK_TEXT,
            count=len(text),
        )
    return {"text": text, "by": event.actor, "at": event.at}


def _flag(p: Mapping[str, Any], key: str, message: str) -> bool:
    value = p.get(key)
    if value is not True and value is not False:
        raise InvalidInput(message, field=key)
    return value


def _replaced(state: CaseState, index: int, task: dict[str, Any]) -> CaseState:
    tasks = list(state.rectifications)
    tasks[index] = task
    return _with(state, rectifications=tuple(tasks))


def _verified(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    index, task = _task_of(state, p)
    _at_stage(task, TASK_VERIFY, event)
    _by_unit(state, task, event)
    task["verified"] = _say(p, N_("请填写核实情况。"), event)
    task["stage"] = TASK_RECTIFY
    return _replaced(state, index, task)


def _rectified(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    index, task = _task_of(state, p)
    _at_stage(task, TASK_RECTIFY, event)
    _by_unit(state, task, event)
    upheld = _flag(p, "upheld", N_("请选择差评是否属实。"))
    task["rectified"] = {
        "upheld": upheld,
        **_say(p, N_("请填写整改措施，或差评不属实的理由。"), event),
    }
    task["stage"] = TASK_REVIEW
    return _replaced(state, index, task)


def _reviewed(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    if event.writer != ev.CENTRAL_WRITER:
        raise NotAllowed(N_("只有监察人员才能审核整改。"))
    index, task = _task_of(state, p)
    _at_stage(task, TASK_REVIEW, event)
    confirmed = _flag(p, "confirmed", N_("请选择确认整改或退回重新整改。"))
    text = _text(p, "text", N_("退回重新整改须说明理由。"), required=not confirmed)
    review = {
        "confirmed": confirmed,
        "text": text[:MAX_TASK_TEXT],
        "by": event.actor,
        "by_org": _text(p, "by_org", N_("缺少审核单位。")),
        "at": event.at,
    }
    task["reviews"] = list(task["reviews"]) + [review]
    task["stage"] = TASK_ANSWER if confirmed else TASK_RECTIFY
    return _replaced(state, index, task)


def _answered(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    index, task = _task_of(state, p)
    _at_stage(task, TASK_ANSWER, event)
    _by_unit(state, task, event)
    method = p.get("method")
    if method not in ANSWER_METHODS:
        raise InvalidInput(N_("请选择反馈方式（电话、短信或当面）。"), field="method")
    task["answered"] = {
        "method": method,
        "on": event.day.isoformat(),
        **_say(p, N_("请填写反馈给申请人的内容。"), event),
    }
    task["stage"] = TASK_CALLBACK
    return _replaced(state, index, task)


def _attempt(p: Mapping[str, Any], event: ev.Event) -> dict[str, Any]:
    reached = _flag(p, "reached", N_("请选择是否联系上申请人。"))
    satisfied = p.get("satisfied")
    if reached and satisfied is not True and satisfied is not False:
        raise InvalidInput(N_("联系上申请人时，请记录申请人是否满意。"), field="satisfied")
    if not reached and satisfied is not None:
        raise InvalidInput(N_("未联系上申请人，不能记录是否满意。"), field="satisfied")
    note = _text(p, "note", "", required=False)
    if len(note) > MAX_CALLBACK_NOTE:
        raise InvalidInput(
            N_("回访记录最多 %(most)s 个字，现有 %(count)s 个字。"),
            field="note",
            most=MAX_CALLBACK_NOTE,
            count=len(note),
        )
    return {
        "reached": reached,
        "satisfied": satisfied if reached else None,
        "note": note,
        "by": event.actor,
        "at": event.at,
    }


def _called_back(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    purpose = p.get("purpose")
    if purpose not in CALLBACK_PURPOSES:
        raise InvalidInput(N_("请选择回访类型（差评回访或抽样回访）。"), field="purpose")
    if purpose == "sample":
        if state.state != COMPLETED:
            raise NotAllowed(N_("只有已办结的办件才能抽样回访。"))
        if any(attempt["reached"] for attempt in state.callbacks):
            raise NotAllowed(ALREADY_CALLED)
        return _with(state, callbacks=state.callbacks + (_attempt(p, event),))
    index, task = _task_of(state, p)
    _at_stage(task, TASK_CALLBACK, event)
    attempt = _attempt(p, event)
    task["callbacks"] = list(task["callbacks"]) + [attempt]
    if attempt["reached"]:
        task["stage"] = TASK_CLOSED
    return _replaced(state, index, task)


RECTIFICATION_STEPS: dict[str, Callable[[CaseState, ev.Event, Mapping[str, Any]], CaseState]] = {
    ev.RECTIFICATION_VERIFIED: _verified,
    ev.RECTIFIED: _rectified,
    ev.RECTIFICATION_REVIEWED: _reviewed,
    ev.RECTIFICATION_ANSWERED: _answered,
    ev.CALLED_BACK: _called_back,
}
