"""好差评 统计 at the township: the figures of its unit, of each item and of each staff member over a
range of months, read from the kept figures (``kept_figures``), never from the case log."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, g, request
from flask_babel import gettext

from staff_pages.export_tables import figures_table
from staff_pages.htmx import render_page
from sync.errors import N_
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
