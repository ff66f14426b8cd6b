"""统计分析: the dashboard of supervisors, reviewers and admins over their unit and the units
below it (an admin: every unit), by period, with charts drawn on the server and every number
leading to the cases behind it (``central_api.review.dashboard`` sums the kept figures)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request
from flask_babel import gettext

from central_api import roles
from central_api.pages.auth import login_required
from central_api.review import dashboard
from central_api.stores.dashboard_store import DashboardStore
from central_api.web import get_store, page_errors, today
from staff_pages.charts import Series, bar_chart, trend_chart
from staff_pages.htmx import render_page
from sync.errors import InvalidInput
from sync.periods import KIND_LABELS, KINDS, MONTH, parse_period, period_of, shifted

bp = page_errors(Blueprint("dashboard", __name__, url_prefix="/dashboard"))


def percent(rate: float | None) -> str:
    """Show a rate as a percentage with one decimal, or a dash when it has no base."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def days(value: float | None) -> str:
    """Show an average number of working days with one decimal, or a dash."""
    return "—" if value is None else f"{value:.1f}"


@bp.get("/")
@login_required("view_dashboard")
def index() -> Any:
    """Show the figures of a unit and the units below it over a period (default: this month)."""
    args = request.args
    on = today()
    error, status = "", 200
    try:
        period = parse_period(
            args.get("period", "")[:10],
            args.get("day", "")[:20],
            args.get("from", "")[:20],
            args.get("to", "")[:20],
            on,
        )
    except InvalidInput as refused:
        period = period_of(MONTH, on)
        error, status = gettext(refused.template, **refused.params), 422
    by = args.get("by", "")
    by = by if by in dashboard.BREAKDOWNS else dashboard.BY_UNIT
    store = DashboardStore(get_store())
    tree = dashboard.Tree.of(store.org_tree())
    scope = dashboard.user_scope(tree, g.user, g.user["role"] == roles.ADMIN)
    unit = dashboard.chosen_unit(tree, scope, g.user["org_code"], args.get("unit", "")[:12])
    shown = dashboard.build(store, tree, unit, period, by)
    parent = tree.parents.get(unit, "")
    item_names = store.item_names() if by == dashboard.BY_ITEM else {}
    return render_page(
        "central/dashboard/index.html",
        "central/dashboard/_body.html",
        status=status,
        error=error,
        d=shown,
        unit_name=tree.names.get(unit, unit),
        units=tree.names,
        # "Up one level" only within what the user may see.
        parent=parent if scope is None or parent in scope else "",
        item_names=item_names,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        breakdowns=dashboard.BREAKDOWNS,
        earlier=shifted(period, -1),
        later=shifted(period, 1),
        **_charts(shown),
        percent=percent,
        days=days,
    )


def _charts(shown: dashboard.Dashboard) -> dict[str, Any]:
    """Draw the trend of received and completed, the bars of completed by unit below, and the
    ranking of those units by on-time rate (the first ten)."""
    labels, counts = shown.trend
    short = [label[5:] for label in labels]  # "12-07" under a day, "2026-12" → "12" for a month
    trend = trend_chart(
        gettext("收件与办结趋势"),
        short,
        [Series(gettext("收件"), counts["received"]), Series(gettext("办结"), counts["completed"])],
        chart_id="trend-chart",
    )
    children = [row for row in shown.child_rows if row["key"] != shown.unit] or shown.child_rows
    bars = bar_chart(
        gettext("各单位办结件"),
        [(row["name"], row["completed"]) for row in children],
        chart_id="unit-chart",
    )
    judged = [row for row in children if row["on_time_rate"] is not None]
    judged.sort(key=lambda row: (-row["on_time_rate"], row["key"]))
    ranking = bar_chart(
        gettext("按时办结率排名"),
        [(row["name"], row["on_time_rate"]) for row in judged[:10]],
        chart_id="ranking-chart",
        ranked=True,
        percent=True,
    )
    return {"trend": trend, "bars": bars, "ranking": ranking}
