"""Extensions (延期) and excluded time (特别程序) on a township case: the reviewer's and the head's
forms, and the two printed notices to the applicant (延期通知书, 特别程序告知书)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request
from flask_babel import gettext

from sync.clock_rules import (
    EXCLUDED_KIND_LABELS,
    EXCLUDED_KINDS,
    extension_days,
    extension_max_days,
    open_excluded,
    pending_extension,
    stage_clocks,
)
from sync.errors import N_, Conflict, InvalidInput
from sync.fold import CaseState
from township_app import roles
from township_app.casework import case_clock, casework
from township_app.db import get_calendar, get_store, now, today
from township_app.pages.auth import current_actor, login_required
from township_app.pages.cases import act_on_case
from township_app.pages.notices import _paper, promised_completion

bp = Blueprint("case_clock", __name__, url_prefix="/cases")

_RUNNING = ("accepted", "in_review", "forwarded")


def panel(state: CaseState, role: str, org_code: str) -> dict[str, Any]:
    """Return what the case page's clock panel shows, and which forms the user may use."""
    pending, running = pending_extension(state), open_excluded(state)
    holding = state.holder_code == org_code == state.org_code and state.state in _RUNNING
    return {
        "extended": extension_days(state),
        "most": extension_max_days(state.item),
        "stages": stage_clocks(state, today(), get_calendar()),
        "pending": pending,
        "running": running,
        "kinds": [(kind, EXCLUDED_KIND_LABELS[kind]) for kind in EXCLUDED_KINDS],
        "may_request": holding
        and pending is None
        and roles.may(role, "request_extension")
        and extension_days(state) < extension_max_days(state.item),
        "may_decide": pending is not None
        and not pending["central"]
        and roles.may(role, "decide_extension"),
        "may_start": holding and running is None and roles.may(role, "record_excluded_time"),
        "may_end": running is not None
        and not running["central"]
        and roles.may(role, "record_excluded_time"),
    }


@bp.app_context_processor
def clock_panel_helper() -> dict[str, Any]:
    """Give the case page its clock panel: ``clock_panel(case)``."""
    return {"clock_panel": lambda state: panel(state, g.user["role"], g.user["org_code"])}


@bp.route("/<case_id>/extension", methods=("POST",))
@login_required("request_extension")
def request_extension(case_id: str) -> Any:
    """Ask the center's head for an extension (days and reason)."""
    form = request.form
    return act_on_case(
        case_id,
        lambda: case_clock.request_extension(
            get_store(),
            case_id,
            days=form.get("days", ""),
            reason=form.get("reason", ""),
            actor=current_actor(),
            now=now(),
        ),  # fmt: skip
        done=gettext("延期申请已提交，等待中心负责人审批。"),
        anchor="clock",
    )


@bp.route("/<case_id>/extension/decision", methods=("POST",))
@login_required("decide_extension")
def decide_extension(case_id: str) -> Any:
    """Approve (then print the extension notice) or refuse the pending extension."""
    decision = request.form.get("decision", "")
    approved = decision == "approve"

    def decide() -> Any:
        if decision not in ("approve", "refuse"):
            raise InvalidInput(N_("请选择批准延期或不予批准。"), field="decision")
        return case_clock.decide_extension(
            get_store(), case_id, approved=approved, note=request.form.get("note", ""),
            actor=current_actor(), now=now(),
        )  # fmt: skip

    done = (
        gettext("已批准延期，请打印延期通知书交申请人。")
        if approved
        else gettext("已不予批准延期。")
    )
    notice = "case_clock.extension_notice" if approved else None
    return act_on_case(case_id, decide, notice, done=done, anchor="clock")


@bp.route("/<case_id>/excluded-time", methods=("POST",))
@login_required("record_excluded_time")
def start_excluded_time(case_id: str) -> Any:
    """Record that excluded time begins, then print its notice."""
    form = request.form
    return act_on_case(
        case_id,
        lambda: case_clock.start_excluded_time(
            get_store(),
            case_id,
            kind=form.get("kind", ""),
            reason=form.get("reason", ""),
            actor=current_actor(),
            now=now(),
        ),  # fmt: skip
        "case_clock.excluded_notice",
        done=gettext("特别程序已登记，期间不计入办理时限；请打印特别程序告知书交申请人。"),
    )


@bp.route("/<case_id>/excluded-time/end", methods=("POST",))
@login_required("record_excluded_time")
def end_excluded_time(case_id: str) -> Any:
    """Record that the excluded time has ended: the clock runs again."""
    return act_on_case(
        case_id,
        lambda: case_clock.end_excluded_time(
            get_store(),
            case_id,
            note=request.form.get("note", ""),
            actor=current_actor(),
            now=now(),
        ),  # fmt: skip
        done=gettext("特别程序已结束，办理时限恢复计算。"),
        anchor="clock",
    )


@bp.route("/<case_id>/extension-notice")
@login_required("view_cases")
def extension_notice(case_id: str) -> Any:
    """Print the extension notice (延期通知书) of the last approved extension, at the township or
    above, with the new promised date."""
    state = casework.visible_case(get_store(), case_id, current_actor())
    approved = [x for x in state.extensions if x["decision"] and x["decision"]["approved"]]
    if not approved:
        raise Conflict(N_("办件没有已批准的延期，不能打印延期通知书。"))
    return _paper(
        case_id,
        "township/case_clock/extension_notice.html",
        None,
        extension=approved[-1],
        extended=extension_days(state),
        promised_on=promised_completion(state, get_calendar()),
    )


@bp.route("/<case_id>/excluded-time-notice")
@login_required("view_cases")
def excluded_notice(case_id: str) -> Any:
    """Print the notice of excluded time (特别程序告知书): its kind, reason and start, and, once it
    has ended, its end and the new promised date."""
    state = casework.visible_case(get_store(), case_id, current_actor())
    if not state.excluded:
        raise Conflict(N_("办件没有特别程序，不能打印特别程序告知书。"))
    return _paper(
        case_id,
        "township/case_clock/excluded_notice.html",
        None,
        period=state.excluded[-1],
        promised_on=promised_completion(state, get_calendar()),
    )
