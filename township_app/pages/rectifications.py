"""差评整改 at the township: the list of its unit's 差评 tasks (stage, due day, overdue in red) and
the steps of a task, taken on the case page's 差评整改 panel (核实 → 整改 → 反馈)."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from flask import Blueprint, g, request
from flask_babel import gettext

from staff_pages.export_tables import EXPORT_MAX
from staff_pages.exports import Column, ExportTable
from staff_pages.htmx import render_page
from sync.case_state import TASK_REVIEW, TASK_STAGE_LABELS, TASK_STAGES
from sync.labels import ANSWER_METHOD_LABELS, CALLBACK_PURPOSE_LABELS, RATING_STEP_LABELS
from sync.rectification_rules import OPEN_STAGES, is_overdue
from township_app.casework import rectification
from township_app.db import get_store, now, today
from township_app.pages.auth import current_actor, login_required
from township_app.pages.cases import act_on_case
from township_app.pages.exporting import export_format, send_export

bp = Blueprint("rectifications", __name__, url_prefix="/rectifications")

ANCHOR = "rectifications"


@bp.app_context_processor
def task_labels() -> dict[str, Any]:
    """Give templates the words for a 差评 task's stage and whether a task or row is late, and the
    menu's count of the unit's tasks waiting for its own step (read only when shown)."""

    def tasks_waiting() -> int:
        if g.get("user") is None:
            return 0
        try:
            counts = get_store().figures.stage_counts(unit=g.user["org_code"])
        except sqlite3.DatabaseError:
            return 0  # a damaged or not yet migrated database: the page's own banner says so
        return sum(counts.get(stage, 0) for stage in OPEN_STAGES if stage != TASK_REVIEW)

    return {
        "tasks_waiting": tasks_waiting,
        "task_stage_label": lambda stage: gettext(TASK_STAGE_LABELS.get(stage, stage)),
        "task_late": late,
        "answer_methods": ANSWER_METHOD_LABELS,
        "answer_method_label": lambda m: gettext(ANSWER_METHOD_LABELS.get(m, m)),
        "callback_purpose_label": lambda p: gettext(CALLBACK_PURPOSE_LABELS.get(p, p)),
    }


def late(answered_on: str | None, due_on: date | str, on: date) -> bool:
    """Tell whether a task answered on ``answered_on`` (None: not yet) is late for its due day."""
    due = date.fromisoformat(due_on) if isinstance(due_on, str) else due_on
    answered = {"on": answered_on} if answered_on else None
    return is_overdue({"answered": answered}, due, on)


@bp.route("/")
@login_required("rectify")
def index() -> Any:
    """List the 差评 tasks of this township, the open ones by due day first, with counts by stage."""
    store = get_store()
    unit = g.user["org_code"]
    stage = request.args.get("stage", "")
    stage = stage if stage in TASK_STAGES else ""
    scale = store.rating_scale
    fmt = export_format()
    # The page lists the first 500; an export takes every task, up to the export's bound.
    rows = store.figures.tasks(unit=unit, stage=stage, limit=EXPORT_MAX if fmt else 500)
    levels = {}
    for row in rows:
        level = scale(row["scale_version"]).level(row["level"])
        levels[row["rating_id"]] = level.label if level else row["level"]
    if fmt:
        on = today()
        table = ExportTable(
            gettext("差评整改"),
            tuple(
                Column(gettext(label))
                for label in ("环节", "办件编号", "事项", "评价", "收到日期", "反馈期限", "是否逾期")
            ),
            [
                (
                    gettext(TASK_STAGE_LABELS.get(r["stage"], r["stage"])), r["case_number"],
                    r["item_name"],
                    f"{gettext(RATING_STEP_LABELS.get(r['step'], r['step']))}："
                    f"{levels[r['rating_id']]}",
                    r["opened_on"], r["due_on"],
                    gettext("已逾期") if late(r["answered_on"], r["due_on"], on) else "",
                )
                for r in rows
            ],
        )  # fmt: skip
        filters = (
            gettext("环节：%(stage)s", stage=gettext(TASK_STAGE_LABELS[stage])) if stage else ""
        )
        return send_export(table, filters, "rectifications", fmt)
    return render_page(
        "township/rectifications/index.html",
        "township/rectifications/_rows.html",
        rows=rows,
        levels=levels,
        stage=stage,
        stages=TASK_STAGES,
        counts=store.figures.stage_counts(unit=unit),
        on=today(),
    )


@bp.route("/<case_id>/<rating_id>/verify", methods=("POST",))
@login_required("rectify")
def verify(case_id: str, rating_id: str) -> Any:
    """Record the verification (核实) of a 差评."""
    return act_on_case(
        case_id,
        lambda: rectification.verify_task(
            get_store(),
            case_id,
            rating_id,
            request.form.get("text", ""),
            current_actor(),
            now(),
        ),
        done=gettext("已记录核实情况。"),
        anchor=ANCHOR,
    )


@bp.route("/<case_id>/<rating_id>/rectify", methods=("POST",))
@login_required("rectify")
def rectify(case_id: str, rating_id: str) -> Any:
    """Record the rectification (整改) of a 差评, which the supervisor at central reviews next."""
    return act_on_case(
        case_id,
        lambda: rectification.rectify_task(
            get_store(),
            case_id,
            rating_id,
            upheld=request.form.get("upheld", ""),
            text=request.form.get("text", ""),
            actor=current_actor(),
            now=now(),
        ),
        done=gettext("已记录整改情况，同步后由上级监察人员审核。"),
        anchor=ANCHOR,
    )


@bp.route("/<case_id>/<rating_id>/answer", methods=("POST",))
@login_required("rectify")
def answer(case_id: str, rating_id: str) -> Any:
    """Record the answer given to the applicant (反馈)."""
    return act_on_case(
        case_id,
        lambda: rectification.answer_task(
            get_store(),
            case_id,
            rating_id,
            method=request.form.get("method", ""),
            text=request.form.get("text", ""),
            actor=current_actor(),
            now=now(),
        ),
        done=gettext("已记录反馈，下一步电话回访。"),
        anchor=ANCHOR,
    )
