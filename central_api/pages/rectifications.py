"""差评整改 at central: the list of 差评 tasks (a supervisor's units, or a reviewer's own unit) with
filters, counts per stage, paging and overdue rows; the forms on the case page that review a
rectification (supervisors) or record a county's or city's own steps (reviewers)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext

from central_api import roles
from central_api.pages.auth import login_required
from central_api.pages.case_pages import render_case
from central_api.pages.exporting import export_format, send_export
from central_api.review import case_record, rectifications
from central_api.stores.rating_store import RatingStore, TaskFilter
from central_api.web import get_store, now, page_errors, reviews, today
from staff_pages import export_tables
from staff_pages.display import translate_error
from staff_pages.htmx import render_page
from sync.case_state import TASK_STAGE_LABELS, TASK_STAGES
from sync.errors import N_, DomainError, InvalidInput
from sync.labels import RATING_STEP_LABELS

bp = page_errors(Blueprint("rectifications", __name__, url_prefix="/rectifications"))

MONTH = re.compile(r"20\d\d-(0[1-9]|1[0-2])")
CHOOSE_DECISION = N_("请选择确认整改或退回重新整改。")
UPHELD = {"yes": True, "no": False}


def scope_units() -> frozenset[str]:
    """Return the units whose 差评 the user sees: a supervisor's and those under it, or a
    reviewer's own unit."""
    user = g.user
    if user["role"] == roles.SUPERVISOR:
        return reviews().subtree(user["org_code"])
    return frozenset({user["org_code"]})


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


@bp.get("/")
@login_required("view_rectifications")
def index() -> Any:
    """List the 差评 tasks in scope with filters, counts per stage and paging (rows for htmx)."""
    args = request.args
    units = scope_units()
    month = args.get("month", "").strip()
    where = TaskFilter(
        stage=args.get("stage", "") if args.get("stage", "") in TASK_STAGES else "",
        unit=args.get("unit", "") if args.get("unit", "") in units else "",
        overdue=args.get("overdue", "") == "1",
        month=month if MONTH.fullmatch(month) else "",
    )
    page = _page_number(args.get("page", ""))
    size = int(current_app.config["INBOX_PAGE_SIZE"])
    store, day = RatingStore(get_store()), today()
    if fmt := export_format():
        return _export(store, units, where, fmt)
    counts = store.stage_counts(units, where, day)
    total = counts.get(where.stage, 0) if where.stage else sum(counts.values())
    rows = store.task_rows(units, where, day, limit=size, offset=(page - 1) * size)
    query = {
        "stage": where.stage,
        "unit": where.unit,
        "overdue": "1" if where.overdue else "",
        "month": where.month,
    }
    return render_page(
        "central/rectifications/index.html",
        "central/rectifications/_rows.html",
        rows=rows,
        counts=counts,
        stages=TASK_STAGES,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        query={k: v for k, v in query.items() if v},
        unit_choices=store.task_units(units),
        units=reviews().unit_names(),
        levels=store.level_labels(),
    )


def _export(store: RatingStore, units: frozenset[str], where: TaskFilter, fmt: str) -> Any:
    """Send every matching task (not one page) as a workbook or CSV."""
    rows = store.task_rows(units, where, today(), limit=export_tables.EXPORT_MAX, offset=0)
    names, levels = reviews().unit_names(), store.level_labels()
    table = export_tables.tasks_table(
        gettext("差评整改"), rows, lambda u: names.get(u, u), lambda v: levels.get(v, v),
        lambda s: gettext(RATING_STEP_LABELS.get(s, s)),
        lambda s: gettext(TASK_STAGE_LABELS.get(s, s)),
    )  # fmt: skip
    parts = [
        (gettext("环节"), gettext(TASK_STAGE_LABELS.get(where.stage, where.stage))),
        (gettext("整改单位"), names.get(where.unit, where.unit)),
        (gettext("差评月份"), where.month),
        (gettext("只看超期"), gettext("是") if where.overdue else ""),
    ]
    filters = "；".join(f"{label}：{value}" for label, value in parts if value)
    return send_export(table, filters, "rectifications", fmt)


def _after(number: str, message: str) -> Any:
    flash(message, "success")
    return redirect(url_for("cases.show", number=number, _anchor="rectifications"), code=303)


def _refused(number: str, rating_id: str, refusal: DomainError) -> Any:
    if refusal.template == case_record.NOT_FOUND:
        raise refusal  # another unit's 差评: "not found", as its case would be
    status = 422 if isinstance(refusal, InvalidInput) else 409
    return render_case(
        number,
        error=translate_error(refusal),
        status=status,
        form=request.form.to_dict(),
        failed=rating_id,
    )


@bp.post("/<number>/<rating_id>/review")
@login_required("review_rectifications")
def review(number: str, rating_id: str) -> Any:
    """Confirm a unit's rectification, or send it back with the reason (supervisors)."""
    case_record.visible_case(reviews(), g.user, number)
    decision = request.form.get("decision", "")
    try:
        if decision not in ("confirm", "send_back"):
            raise InvalidInput(CHOOSE_DECISION, field="decision")
        rectifications.review_rectification(
            get_store(),
            current_app.extensions["central_key"],
            number,
            rating_id=rating_id,
            confirmed=decision == "confirm",
            text=request.form.get("text", ""),
            by_org=g.user["org_code"],
            units=reviews().subtree(g.user["org_code"]),
            actor=g.user["username"],
            now=now(),
        )
    except DomainError as refusal:
        return _refused(number, rating_id, refusal)
    if decision == "confirm":
        return _after(number, gettext("已确认整改，待单位向申请人反馈。"))
    return _after(number, gettext("已退回重新整改。"))


@bp.post("/<number>/<rating_id>/<any(verify, rectify, answer):step>")
@login_required("rectify")
def unit_step(number: str, rating_id: str, step: str) -> Any:
    """Record the county's or city's own step on a 差评 of a case it decided."""
    case_record.visible_case(reviews(), g.user, number)
    form = request.form
    try:
        rectifications.unit_step(
            get_store(),
            current_app.extensions["central_key"],
            number,
            step,
            rating_id=rating_id,
            text=form.get("text", ""),
            upheld=UPHELD.get(form.get("upheld", "")),
            method=form.get("method", ""),
            by_org=g.user["org_code"],
            actor=g.user["username"],
            now=now(),
        )
    except DomainError as refusal:
        return _refused(number, rating_id, refusal)
    messages = {
        "verify": gettext("核实情况已登记。"),
        "rectify": gettext("整改情况已登记，待监察人员审核。"),
        "answer": gettext("反馈已登记，待电话回访。"),
    }
    return _after(number, messages[step])
