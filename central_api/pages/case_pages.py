"""A forwarded case at central: its whole record, its scans, and the decisions taken on its page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext

from central_api import roles
from central_api.pages import clock_pages
from central_api.pages.auth import login_required
from central_api.review import case_record, decisions, joint_review, task_panel
from central_api.stores.figure_store import WeekdaysBeyond
from central_api.stores.rating_store import RatingStore
from central_api.web import get_calendar, get_store, now, page_errors, reviews, today
from staff_pages.display import translate_error
from sync.calendar_notes import due_date_changes
from sync.errors import DomainError, InvalidInput

bp = page_errors(Blueprint("cases", __name__, url_prefix="/review/cases"))


def render_case(
    number: str, *, error: str = "", status: int = 200, form: Any = None, failed: str = ""
) -> Any:
    """Render a case's page (``error``: why the form of the task ``failed`` was refused)."""
    store = reviews()
    state = case_record.visible_case(store, g.user, number)
    holding = case_record.holds(g.user, state)
    tasks = _task_views(state) if state.rectifications else []
    timeline = case_record.timeline(store, state)
    return (
        render_template(
            "central/cases/show.html",
            case=state,
            holding=holding,
            full_id=holding and roles.may(g.user["role"], "view_full_id"),
            may_forward=holding
            and roles.may(g.user["role"], "forward_on")
            and state.may_forward_on
            and state.next_level == "city",
            may_decide=holding and state.may_decide_here,
            timeline=timeline,
            calendar_notes=due_date_changes(
                state, get_calendar(), store.calendar_arrivals(), today()
            ),
            # Who gave an opinion or answered, by name: the names the case's events carry.
            names=case_record.actor_names(timeline),
            verification=case_record.verify_case(store, state),
            units=store.unit_names(),
            error=error,
            form=form or {},
            tasks=tasks,
            failed=failed,
            clock_panel=clock_pages.panel_of(state),
            levels=RatingStore(get_store()).level_labels() if state.ratings else {},
            joint=joint_review.case_view(state, g.user, today(), get_calendar()),
            reasons=RatingStore(get_store()).reason_labels() if state.ratings else {},
        ),
        status,
    )


def _task_views(state: Any) -> list[task_panel.TaskView]:
    supervision = RatingStore(get_store())
    user = g.user
    supervised = (
        reviews().subtree(user["org_code"])
        if roles.may(user["role"], "review_rectifications")
        else frozenset()
    )
    versions = {task["scale_version"] for task in state.rectifications}
    return task_panel.task_views(
        state,
        user,
        supervised,
        {version: supervision.task_days(version) for version in versions},
        WeekdaysBeyond(reviews().calendars()),
        today(),
    )


@bp.get("/<number>")
@login_required("view_cases")
def show(number: str) -> Any:
    """Show a case's whole record: timeline, opinions, applicant, materials with scans, badge."""
    return render_case(number)


@bp.get("/<number>/files/<sha256>")
@login_required("view_scans")
def scan(number: str, sha256: str) -> Any:
    """Send one scan of a case the user may see, inline when a browser can show it safely."""
    store = reviews()
    state = case_record.visible_case(store, g.user, number)
    path, media_type, filename = case_record.case_file(
        store, Path(current_app.config["CENTRAL_HOME"]), state, sha256
    )
    inline = media_type in case_record.INLINE_TYPES
    response = send_file(
        path,
        mimetype=media_type if inline else "application/octet-stream",
        as_attachment=not inline,
        download_name=filename,
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # The case page shows PDFs in a frame of its own origin; nothing else may frame a scan.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    return response


def _decide(number: str, action: str) -> Any:
    """Run one decision from the case page; on a refusal show the page again with the reason."""
    form = request.form
    user = g.user
    key = current_app.extensions["central_key"]
    common = {"by_org": user["org_code"], "actor": user["username"], "now": now()}
    # The same visibility as the page: a case of another unit is "not found", and nothing changes.
    case_record.visible_case(reviews(), user, number)
    try:
        if action == "approve":
            decisions.decide_case(
                get_store(), key, number, outcome="approved",
                document_number=form.get("document_number", ""),
                require_document_number=True, **common,
            )  # fmt: skip
            message = gettext("已批准，审批结果已发送至乡镇。")
        elif action == "refuse":
            decisions.decide_case(
                get_store(), key, number, outcome="refused",
                reasons=form.get("reasons", ""), **common,
            )  # fmt: skip
            message = gettext("已作出不予批准决定，结果已发送至乡镇。")
        elif action == "return":
            missing = form.get("missing", "").splitlines()
            decisions.return_case(
                get_store(), key, number, missing=missing, note=form.get("note", ""), **common
            )
            message = gettext("已退回乡镇补正，补正材料清单已发送。")
        else:
            decisions.forward_case_on(
                get_store(), key, number, opinion=form.get("opinion", ""),
                conclusion=form.get("conclusion", ""), **common,
            )  # fmt: skip
            message = gettext("已转报市级审批。")
    except DomainError as refusal:
        status = 422 if isinstance(refusal, InvalidInput) else 409
        return render_case(
            number, error=translate_error(refusal), status=status, form=form.to_dict()
        )
    flash(message, "success")
    if action == "return":
        # A returned case is the township's again, until it is forwarded anew.
        return redirect(url_for("inbox.index"), code=303)
    # Decided or forwarded on, the case stays readable on its page for the unit that handled it.
    return redirect(url_for("cases.show", number=number), code=303)


@bp.post("/<number>/approve")
@login_required("decide")
def approve(number: str) -> Any:
    """Approve a case held by the user's unit (approval document number required)."""
    return _decide(number, "approve")


@bp.post("/<number>/refuse")
@login_required("decide")
def refuse(number: str) -> Any:
    """Refuse a case held by the user's unit (reasons required)."""
    return _decide(number, "refuse")


@bp.post("/<number>/return")
@login_required("decide")
def return_(number: str) -> Any:
    """Return a case to the township for a supplement, one missing material per line."""
    return _decide(number, "return")


@bp.post("/<number>/forward")
@login_required("forward_on")
def forward(number: str) -> Any:
    """Forward a city-level case on to the city with the county's opinion."""
    return _decide(number, "forward")
