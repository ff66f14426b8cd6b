"""The clock panel of a case at central: extensions (延期) asked by a reviewer and decided by the
unit's head, excluded time (特别程序) begun and ended, and the limits of each stage (环节时限)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext

from central_api import roles
from central_api.pages.auth import login_required
from central_api.review import case_clock, case_record
from central_api.web import get_calendar, get_store, now, page_errors, reviews, today
from staff_pages.display import translate_error
from sync.case_clock import case_deadline
from sync.clock_rules import (
    EXCLUDED_KIND_LABELS,
    EXCLUDED_KINDS,
    StageClock,
    extension_days,
    extension_max_days,
    open_excluded,
    pending_extension,
    stage_clocks,
)
from sync.deadlines import DeadlineStatus, WorkingCalendar
from sync.errors import N_, DomainError, InvalidInput
from sync.fold import CaseState

bp = page_errors(Blueprint("case_clock", __name__, url_prefix="/review/cases"))

_RUNNING = ("accepted", "in_review", "forwarded")


@dataclass(frozen=True)
class ClockPanel:
    """What the clock panel of a case shows the user, and which of its forms they may use."""

    promised: int
    extended: int
    most: int
    whole: DeadlineStatus | None
    stages: list[StageClock]
    own_stage: StageClock | None  # the stage of the user's unit, when the item limits it
    may_request: bool
    may_decide: bool
    may_start: bool
    may_end: bool
    pending: Mapping[str, Any] | None
    running: Mapping[str, Any] | None
    kinds: tuple[tuple[str, str], ...]


def panel(
    state: CaseState, user: Mapping[str, Any], day: date, calendar: WorkingCalendar
) -> ClockPanel:
    """Return the clock panel of a case for a user."""
    holding = state.holder_code == user["org_code"] and state.state in _RUNNING
    pending, running = pending_extension(state), open_excluded(state)
    stages = stage_clocks(state, day, calendar)
    level = own_level(state, user)
    return ClockPanel(
        promised=int(state.item["promised_days"]),
        extended=extension_days(state),
        most=extension_max_days(state.item),
        whole=case_deadline(state, day, calendar),
        stages=stages,
        own_stage=next((s for s in stages if s.stage == level), None),
        may_request=holding
        and pending is None
        and roles.may(user["role"], "request_extension")
        and extension_days(state) < extension_max_days(state.item),
        may_decide=pending is not None
        and pending["central"]
        and pending["by_org"] == user["org_code"]
        and roles.may(user["role"], "decide_extension"),
        may_start=holding and running is None and roles.may(user["role"], "record_excluded_time"),
        may_end=running is not None
        and running["central"]
        and running["by_org"] == user["org_code"]
        and roles.may(user["role"], "record_excluded_time"),
        pending=pending,
        running=running,
        kinds=tuple((kind, EXCLUDED_KIND_LABELS[kind]) for kind in EXCLUDED_KINDS),
    )


def own_level(state: CaseState, user: Mapping[str, Any]) -> str | None:
    """Return the stage of the case that is the user's unit's: the township's review, or the level
    above that a forward reached (None if the case never came to the unit)."""
    path = ["township", *state.item["route"]]
    reached = [state.org_code] + [o["to_org"] for o in state.opinions]
    units = dict(zip(path[: len(reached)], reached[: len(path)], strict=True))
    return next((stage for stage, unit in units.items() if unit == user["org_code"]), None)


def own_stage(state: CaseState) -> StageClock | None:
    """Return the running stage clock of the logged-in user's unit, for the inbox's short line."""
    level = own_level(state, g.user)
    return next(
        (s for s in stage_clocks(state, today(), get_calendar()) if s.stage == level and s.status),
        None,
    )


@bp.app_context_processor
def clock_helpers() -> dict[str, Any]:
    """Give the inbox its stage line and the 延期待批 mark."""
    return {
        "own_stage_clock": own_stage,
        "extension_pending": lambda state: pending_extension(state) is not None,
    }


def panel_of(state: CaseState) -> ClockPanel:
    """Return the clock panel of a case for the logged-in user, today."""
    return panel(state, g.user, today(), get_calendar())


def _act(number: str, action: str) -> Any:
    """Run one clock action from the case page; on a refusal show the page again with the reason."""
    from central_api.pages.case_pages import render_case

    form = request.form
    user = g.user
    key = current_app.extensions["central_key"]
    common = {"by_org": user["org_code"], "actor": user["username"], "now": now()}
    # The same visibility as the page: a case of another unit is "not found", and nothing changes.
    case_record.visible_case(reviews(), user, number)
    try:
        if action == "request":
            case_clock.request_extension(
                get_store(), key, number, days=form.get("days", ""),
                reason=form.get("reason", ""), **common,
            )  # fmt: skip
            message = gettext("延期申请已提交，等待负责人审批。")
        elif action == "decide":
            decision = form.get("decision", "")
            if decision not in ("approve", "refuse"):
                raise InvalidInput(N_("请选择批准延期或不予批准。"), field="decision")
            case_clock.decide_extension(
                get_store(), key, number, approved=decision == "approve",
                note=form.get("note", ""), role=user["role"], **common,
            )  # fmt: skip
            message = (
                gettext("已批准延期，办件时限已顺延，乡镇将通知申请人。")
                if decision == "approve"
                else gettext("已不予批准延期。")
            )
        elif action == "start":
            case_clock.start_excluded_time(
                get_store(), key, number, kind=form.get("kind", ""),
                reason=form.get("reason", ""), **common,
            )  # fmt: skip
            message = gettext("特别程序已登记，期间不计入办理时限。")
        else:
            case_clock.end_excluded_time(
                get_store(), key, number, note=form.get("note", ""), **common
            )
            message = gettext("特别程序已结束，办理时限恢复计算。")
    except DomainError as refusal:
        status = 422 if isinstance(refusal, InvalidInput) else 409
        return render_case(
            number, error=translate_error(refusal), status=status, form=form.to_dict(),
            failed="clock",
        )  # fmt: skip
    flash(message, "success")
    return redirect(url_for("cases.show", number=number) + "#clock", code=303)


@bp.post("/<number>/extension")
@login_required("request_extension")
def request_extension(number: str) -> Any:
    """Ask the unit's head for an extension: the working days and the reason."""
    return _act(number, "request")


@bp.post("/<number>/extension/decision")
@login_required("decide_extension")
def decide_extension(number: str) -> Any:
    """Approve or refuse the pending extension (the unit's head)."""
    return _act(number, "decide")


@bp.post("/<number>/excluded-time")
@login_required("record_excluded_time")
def start_excluded_time(number: str) -> Any:
    """Record that excluded time (听证、检验、鉴定…) begins: the clock pauses."""
    return _act(number, "start")


@bp.post("/<number>/excluded-time/end")
@login_required("record_excluded_time")
def end_excluded_time(number: str) -> Any:
    """Record that the excluded time has ended: the clock runs again."""
    return _act(number, "end")
