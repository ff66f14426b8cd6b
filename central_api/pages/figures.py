"""好差评 figures (统计) for supervisors and admins: per unit, item or staff member over a range of
months, with the rating, satisfaction, on-time and callback rates, read from the kept figures
(``rating_figures``) and the open overdue tasks (``rectification_tasks``), never from states."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, g, render_template, request
from flask_babel import gettext

from central_api import roles
from central_api.pages.auth import login_required
from central_api.pages.exporting import export_format, send_export
from central_api.stores.rating_store import RatingStore
from central_api.web import get_store, page_errors, reviews, today
from staff_pages import export_tables
from sync.rating_figures import DIMENSIONS, ITEM, STAFF, UNIT, rates

bp = page_errors(Blueprint("figures", __name__, url_prefix="/figures"))

MONTH = re.compile(r"20\d\d-(0[1-9]|1[0-2])")


def _month(raw: str, default: str) -> str:
    raw = raw.strip()
    return raw if MONTH.fullmatch(raw) else default


@bp.get("/")
@login_required("view_figures")
def index() -> Any:
    """Show the figures of one dimension over a range of months (default: this month)."""
    args = request.args
    dimension = args.get("dimension", UNIT)
    dimension = dimension if dimension in DIMENSIONS else UNIT
    this_month = today().isoformat()[:7]
    first = _month(args.get("from", ""), this_month)
    last = _month(args.get("to", ""), first)
    if last < first:
        first, last = last, first
    # A supervisor sees the units under theirs; an admin every unit.
    scope = reviews().subtree(g.user["org_code"]) if g.user["role"] == roles.SUPERVISOR else None
    store = RatingStore(get_store())
    counts = store.figures(dimension, first, last, scope)
    overdue = store.open_overdue(dimension, first, last, today())
    unit_names = reviews().unit_names()
    items = store.item_names(counts) if dimension == ITEM else {}
    rows = [
        {
            "key": key,
            "name": _name(dimension, key, unit_names, items),
            **rates(row, overdue.get(key, 0)),
        }
        for key, row in counts.items()
    ]
    rows.sort(key=lambda r: r["name"])
    if fmt := export_format():
        labels = {UNIT: gettext("单位"), ITEM: gettext("事项"), STAFF: gettext("工作人员")}
        title = gettext("好差评统计（%(first)s 至 %(last)s）", first=first, last=last)
        filters = gettext(
            "统计维度：%(dimension)s；月份：%(first)s 至 %(last)s",
            dimension=labels[dimension], first=first, last=last,
        )  # fmt: skip
        table = export_tables.figures_table(title, labels[dimension], rows)
        return send_export(table, filters, "figures", fmt)
    return render_template(
        "central/figures/index.html",
        rows=rows,
        dimension=dimension,
        dimensions=DIMENSIONS,
        first=first,
        last=last,
    )


def _name(dimension: str, key: str, units: dict[str, str], items: dict[str, str]) -> str:
    if dimension == UNIT:
        return units.get(key, key)
    if dimension == ITEM:
        return items.get(key, key)
    unit, _, username = key.partition("/")  # a staff key: "<unit>/<user name>"
    return f"{units.get(unit, unit)} / {username}"
