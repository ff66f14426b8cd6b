"""The assessment (窗口单位百分达标考核) for supervisors and admins: a month's ranking of the units
under the user's, one unit's points per indicator with the figures behind each point, and the
ranking of its staff members; each table exports as .xlsx or CSV (audited)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext

from central_api import roles
from central_api.pages.auth import login_required
from central_api.pages.exporting import export_format, send_export
from central_api.stores.assessment_store import AssessmentFigures, scheme_in_force
from central_api.web import get_store, page_errors, reviews, today
from staff_pages.assessment_tables import (
    BAD_MONTH,
    chosen_month,
    indicators_table,
    ranking_table,
    rows_shown,
)
from sync.assessment import STAFF, UNIT, rank, score
from sync.errors import N_, NotFound

NOT_FOUND = N_("没有找到该单位或工作人员本月的考核，或其不在您所管辖的范围内。")

bp = page_errors(Blueprint("assessment", __name__, url_prefix="/assessment"))


def _scope() -> frozenset[str] | None:
    """Return the units the user may see: a supervisor's unit and below; an admin every unit."""
    if g.user["role"] == roles.SUPERVISOR:
        return reviews().subtree(g.user["org_code"])
    return None


def _month() -> tuple[str, str]:
    month, good = chosen_month(request.args.get("month", "")[:7], today())
    return month, "" if good else gettext(BAD_MONTH)


def _render(template: str, error: str, **context: Any) -> Any:
    figures = AssessmentFigures(get_store(), today())
    return (
        render_template(
            template,
            error=error,
            counts_casework=figures.counts_casework(),
            **context,
        ),
        422 if error else 200,
    )


@bp.get("/")
@login_required("view_assessment")
def index() -> Any:
    """Rank the units under the user's by their month's total, with each category's points."""
    month, error = _month()
    scheme = scheme_in_force(get_store())
    sums = AssessmentFigures(get_store(), today()).sums(UNIT, month, _scope())
    names = reviews().unit_names()
    ranked = rank(scheme, sums)
    title = gettext("%(month)s 窗口单位考核排名", month=month)
    table = ranking_table(title, gettext("单位"), scheme, ranked, lambda k: names.get(k, k))
    if fmt := export_format():
        return send_export(table, gettext("月份：%(month)s", month=month), "assessment", fmt)
    return _render(
        "central/assessment/index.html", error, month=month, scheme=scheme, table=table,
        cells=rows_shown(table),
        links=[url_for("assessment.unit", code=r.key, month=month) for r in ranked],
    )  # fmt: skip


def _unit_in_scope(code: str) -> str:
    scope = _scope()
    names = reviews().unit_names()
    if code not in names or (scope is not None and code not in scope):
        raise NotFound(NOT_FOUND)  # the same answer for a unit elsewhere as for none at all
    return names[code]


@bp.get("/units/<code>")
@login_required("view_assessment")
def unit(code: str) -> Any:
    """Show one unit's points per indicator, with the figures behind each, and its staff ranking."""
    name = _unit_in_scope(code)
    month, error = _month()
    scheme = scheme_in_force(get_store())
    figures = AssessmentFigures(get_store(), today())
    sums = figures.sums(UNIT, month, [code]).get(code)
    assessment = score(scheme, sums) if sums is not None else None
    staff = rank(scheme, figures.sums(STAFF, month, [code]))
    title = gettext("%(month)s %(unit)s 考核得分", month=month, unit=name)
    points = indicators_table(title, scheme, assessment) if assessment else None
    people = ranking_table(
        gettext("%(month)s %(unit)s 工作人员考核排名", month=month, unit=name),
        gettext("工作人员"), scheme, staff, lambda key: key.partition("/")[2],
    )  # fmt: skip
    if fmt := export_format():
        table = people if request.args.get("table") == "staff" or points is None else points
        filters = gettext("月份：%(month)s；单位：%(unit)s", month=month, unit=name)
        return send_export(table, filters, f"assessment-{code}", fmt)
    return _render(
        "central/assessment/unit.html", error, month=month, scheme=scheme, code=code, name=name,
        assessment=assessment, points=points, point_cells=rows_shown(points) if points else [],
        people=people, people_cells=rows_shown(people),
        people_links=[
            url_for("assessment.staff_member", code=code, username=r.key.partition("/")[2],
                    month=month)
            for r in staff
        ],
    )  # fmt: skip


@bp.get("/units/<code>/staff/<username>")
@login_required("view_assessment")
def staff_member(code: str, username: str) -> Any:
    """Show one staff member's points per indicator, with the figures behind each."""
    name = _unit_in_scope(code)
    month, error = _month()
    scheme = scheme_in_force(get_store())
    key = f"{code}/{username}"
    sums = AssessmentFigures(get_store(), today()).sums(STAFF, month, [code]).get(key)
    if sums is None:
        raise NotFound(NOT_FOUND)
    assessment = score(scheme, sums)
    title = gettext("%(month)s %(unit)s %(user)s 考核得分", month=month, unit=name, user=username)
    points = indicators_table(title, scheme, assessment)
    if fmt := export_format():
        filters = gettext(
            "月份：%(month)s；单位：%(unit)s；工作人员：%(user)s",
            month=month,
            unit=name,
            user=username,
        )
        return send_export(points, filters, f"assessment-{code}-{username}", fmt)
    return _render(
        "central/assessment/staff.html", error, month=month, scheme=scheme, code=code, name=name,
        username=username, assessment=assessment, points=points, point_cells=rows_shown(points),
    )  # fmt: skip
