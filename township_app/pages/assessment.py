"""The assessment (窗口考核) at the township, offline: its own unit's month, points per indicator
with the figures behind each point, and its staff members ranked; each table exports as .xlsx or
CSV (audited). The scheme is the one central published (installed from the feed), else the
default; cards are central's records, so the discipline indicators are scored at central only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request, url_for
from flask_babel import gettext

from staff_pages.assessment_tables import (
    BAD_MONTH,
    chosen_month,
    indicators_table,
    ranking_table,
    rows_shown,
)
from staff_pages.htmx import render_page
from sync.assessment import STAFF, UNIT, rank, score
from sync.errors import N_, NotFound
from sync.window_assessment import window_sums
from township_app.db import get_store, today
from township_app.pages.auth import login_required
from township_app.pages.exporting import export_format, send_export
from township_app.stores.assessment_figures import TownshipAssessmentFigures

bp = Blueprint("assessment", __name__, url_prefix="/assessment")

NO_FIGURES = N_("该工作人员所选月份没有考核数据。")


def _month() -> tuple[str, str]:
    month, good = chosen_month(request.args.get("month", "")[:7], today())
    return month, "" if good else gettext(BAD_MONTH)


@bp.route("/")
@login_required("view_assessment")
def index() -> Any:
    """Show the unit's month: points per indicator, and its staff members ranked."""
    store = get_store()
    unit = g.user["org_code"]
    name = store.org_names().get(unit, unit)
    month, error = _month()
    scheme = store.assessment_scheme()
    figures = TownshipAssessmentFigures(store.db, today())
    sums = figures.sums(UNIT, month, [unit]).get(unit)
    assessment = score(scheme, sums) if sums is not None else None
    title = gettext("%(month)s %(unit)s 考核得分", month=month, unit=name)
    points = indicators_table(title, scheme, assessment) if assessment else None
    users = {u["username"]: u["display_name"] for u in store.users()}
    staff_sums = figures.sums(STAFF, month, [unit])
    staff = rank(scheme, staff_sums)

    def staff_name(key: str) -> str:
        username = key.partition("/")[2]
        return users.get(username, username)

    people = ranking_table(
        gettext("%(month)s %(unit)s 工作人员考核排名", month=month, unit=name),
        gettext("工作人员"), scheme, staff, staff_name,
    )  # fmt: skip
    window_of = {u["username"]: u["window_number"] for u in store.staff_windows()}
    windows = ranking_table(
        gettext("%(month)s %(unit)s 各窗口考核排名", month=month, unit=name),
        gettext("窗口"), scheme, rank(scheme, window_sums(staff_sums, window_of.get)),
        lambda window: gettext("%(window)s 号窗口", window=window),
    )  # fmt: skip
    if fmt := export_format():
        table = people if request.args.get("table") == "staff" or points is None else points
        table = windows if request.args.get("table") == "windows" else table
        filters = gettext("月份：%(month)s", month=month)
        return send_export(table, filters, "assessment", fmt)
    return render_page(
        "township/assessment/index.html", "township/assessment/index.html",
        status=422 if error else 200, error=error, month=month, scheme=scheme, name=name,
        assessment=assessment, points=points, point_cells=rows_shown(points) if points else [],
        people=people, people_cells=rows_shown(people),
        people_links=[
            url_for("assessment.staff_member", username=r.key.partition("/")[2], month=month)
            for r in staff
        ],
        counts_casework=figures.counts_casework(),
        windows=windows, window_cells=rows_shown(windows),
    )  # fmt: skip


@bp.route("/staff/<username>")
@login_required("view_assessment")
def staff_member(username: str) -> Any:
    """Show one staff member's month: points per indicator, with the figures behind each."""
    store = get_store()
    unit = g.user["org_code"]
    month, error = _month()
    scheme = store.assessment_scheme()
    figures = TownshipAssessmentFigures(store.db, today())
    sums = figures.sums(STAFF, month, [unit]).get(f"{unit}/{username}")
    if sums is None:
        raise NotFound(NO_FIGURES)
    assessment = score(scheme, sums)
    title = gettext("%(month)s %(user)s 考核得分", month=month, user=username)
    points = indicators_table(title, scheme, assessment)
    if fmt := export_format():
        filters = gettext("月份：%(month)s；工作人员：%(user)s", month=month, user=username)
        return send_export(points, filters, f"assessment-{username}", fmt)
    return render_page(
        "township/assessment/staff.html", "township/assessment/staff.html",
        status=422 if error else 200, error=error, month=month, scheme=scheme,
        username=username, assessment=assessment, points=points, point_cells=rows_shown(points),
        counts_casework=figures.counts_casework(),
    )  # fmt: skip
