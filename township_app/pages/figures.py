"""统计 at the township: the 好差评 figures of its unit, of each item and of each staff member over
a range of months, and the casework figures (办件统计) over any period, read from the kept figures
(``kept_figures``), never from the case log."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, g, request
from flask_babel import gettext

from staff_pages.charts import Series, trend_chart
from staff_pages.export_tables import figures_table
from staff_pages.htmx import render_page
from sync import case_figures
from sync.case_figures import UNIT_ITEM
from sync.errors import N_, InvalidInput
from sync.periods import KIND_LABELS, KINDS, MONTH, parse_period, period_of
from sync.rating_figures import ITEM, STAFF, UNIT, rates
from township_app.db import get_store, today
from township_app.pages.auth import login_required
from township_app.pages.exporting import export_format, send_export

bp = Blueprint("figures", __name__, url_prefix="/figures")

_MONTH = re.compile(r"20\d\d-(0[1-9]|1[0-2])")
BAD_MONTHS = N_("月份请按「2026-01」的格式填写，起始月份不能晚于截止月份；已显示本年度的统计。")


def percent(rate: float | None) -> str:
    """Show a rate as a percentage with one decimal, or a dash when it has no base."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def month_range(first: str, last: str, this_month: str) -> tuple[tuple[str, str], bool]:
    """Return the month range asked for, or this year to date and False when it is not a range."""
    default = (this_month[:4] + "-01", this_month)
    if not first and not last:
        return default, True
    first, last = first or default[0], last or this_month
    if not (_MONTH.fullmatch(first) and _MONTH.fullmatch(last)) or first > last:
        return default, False
    return (first, last), True


@bp.route("/")
@login_required("view_figures")
def index() -> Any:
    """Show the unit's, each item's and each staff member's 好差评 figures over the months."""
    store = get_store()
    unit = g.user["org_code"]
    on = today()
    months, good = month_range(
        request.args.get("from", "")[:7], request.args.get("to", "")[:7], on.isoformat()[:7]
    )
    kept = store.figures
    day = on.isoformat()

    def rows(dimension: str, column: str, **which: str) -> list[tuple[str, dict[str, Any]]]:
        counts = kept.figure_rows(dimension, months=months, **which)
        overdue = kept.open_overdue(column, unit=unit, months=months, today=day)
        return sorted((key, rates(c, overdue.get(key, 0))) for key, c in counts.items())

    item_names = {item["code"]: item["name"] for item in store.items()}
    org_names = store.org_names()
    users = {u["username"]: u["display_name"] for u in store.users()}
    if fmt := export_format():
        which = request.args.get("table", UNIT)
        heading, found, name_of = {
            ITEM: (gettext("事项"), rows(ITEM, "item_code"), lambda c: item_names.get(c, c)),
            STAFF: (
                gettext("工作人员"),
                rows(STAFF, "staff", key_prefix=unit + "/"),
                lambda k: users.get(k.partition("/")[2], k.partition("/")[2]),
            ),
        }.get(which, (gettext("单位"), rows(UNIT, "unit", key=unit), lambda c: org_names.get(c, c)))
        title = gettext("好差评统计（%(first)s 至 %(last)s）", first=months[0], last=months[1])
        table = figures_table(title, heading, [{"name": name_of(k), **f} for k, f in found])
        filters = gettext(
            "统计维度：%(dimension)s；月份：%(first)s 至 %(last)s",
            dimension=heading, first=months[0], last=months[1],
        )  # fmt: skip
        return send_export(table, filters, "figures", fmt)
    return render_page(
        "township/figures/index.html",
        "township/figures/_tables.html",
        status=200 if good else 422,
        error="" if good else gettext(BAD_MONTHS),
        months=months,
        unit_rows=rows(UNIT, "unit", key=unit),
        item_rows=rows(ITEM, "item_code"),
        staff_rows=rows(STAFF, "staff", key_prefix=unit + "/"),
        unit_name=lambda code: org_names.get(code, code),
        item_name=lambda code: item_names.get(code, code),
        # A staff member's key is "unit/username" (names are unique within a unit only).
        staff_name=lambda key: users.get(key.partition("/")[2], key.partition("/")[2]),
        percent=percent,
    )


@bp.route("/cases")
@login_required("view_case_figures")
def cases() -> Any:
    """Show the township's casework figures over a period: the unit, each item, each staff member,
    and the trend of cases received and completed."""
    store = get_store()
    unit = g.user["org_code"]  # the user's own township only, whatever the request asks
    on = today()
    args = request.args
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
    kept = store.figures
    days = period.bounds()

    def rows(dimension: str, **which: str) -> list[tuple[str, dict[str, Any]]]:
        counts = kept.case_figure_sums(dimension, days=days, **which)
        return sorted((key, case_figures.rates(c)) for key, c in counts.items())

    unit_rows = rows(UNIT, key=unit)
    totals = unit_rows[0][1] if unit_rows else case_figures.rates({})
    trend = kept.case_figure_trend(key=unit, days=days, metrics=("received", "completed"))
    steps = [d.isoformat() for d in period.each_day()]
    if period.by_month:
        by_month: dict[str, dict[str, int]] = {}
        for day, counts in trend.items():
            month = by_month.setdefault(day[:7], {})
            for metric, value in counts.items():
                month[metric] = month.get(metric, 0) + value
        trend, steps = by_month, sorted({s[:7] for s in steps})
    chart = trend_chart(
        gettext("收件与办结趋势"),
        [s[5:] for s in steps],
        [
            Series(gettext("收件"), [trend.get(s, {}).get("received", 0) for s in steps]),
            Series(gettext("办结"), [trend.get(s, {}).get("completed", 0) for s in steps]),
        ],
        chart_id="trend-chart",
    )
    item_names = {item["code"]: item["name"] for item in store.items()}
    users = {u["username"]: u["display_name"] for u in store.users()}
    return render_page(
        "township/figures/cases.html",
        "township/figures/_case_tables.html",
        status=status,
        error=error,
        period=period,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        totals=totals,
        chart=chart,
        unit_name=store.org_names().get(unit, unit),
        item_rows=rows(UNIT_ITEM, key_prefix=unit + "/"),
        staff_rows=rows(STAFF, key_prefix=unit + "/"),
        item_name=lambda key: item_names.get(key.partition("/")[2], key.partition("/")[2]),
        staff_name=lambda key: users.get(key.partition("/")[2], key.partition("/")[2]),
        percent=percent,
    )
