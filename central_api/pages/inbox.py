"""The reviewers' inbox: the forwarded cases of their unit, with filters, search, paging and lights.

The deadline light depends on today and on the published calendar, so it is computed here from each
case's state with the same functions as the township's (``sync.case_clock``), not stored.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint, current_app, g, redirect, request, url_for
from flask_babel import gettext

from central_api import roles
from central_api.pages.auth import home_url, login_required
from central_api.pages.exporting import export_format, send_export
from central_api.review.case_record import case_scope
from central_api.stores.review_store import COUNTED_STEPS, InboxFilter
from central_api.stores.supervision_store import SupervisionStore
from central_api.web import get_calendar, get_store, page_errors, reviews, today
from staff_pages import export_tables
from staff_pages.htmx import render_page
from sync.case_clock import case_deadline
from sync.errors import N_
from sync.fold import STATE_LABELS, STATES
from sync.labels import LIGHT_LABELS
from sync.supervision_rules import LEVEL_LABELS, STAGE_LABELS

bp = page_errors(Blueprint("inbox", __name__, url_prefix="/review"))

LIGHTS = ("green", "yellow", "red")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
# The dashboard's figures a drill-down names, as the inbox says them.
COUNTED_LABELS = {
    "received": N_("收件"),
    "accepted": N_("受理"),
    "refused": N_("不予受理"),
    "completed": N_("办结"),
}


def _day(raw: str) -> str:
    """Return a "YYYY-MM-DD" day of the query, or "" when it is not one."""
    if not _ISO_DAY.match(raw):
        return ""
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        return ""


def _drill(args: Any) -> tuple[dict[str, str], str]:
    """Return the dashboard's drill-down in the query (the figure, its period, the staff member)
    and a message when a part of it was not understood (that part is then left out)."""
    counted = args.get("counted", "")
    if counted not in COUNTED_STEPS:
        return {}, gettext("未识别的统计口径，已列出全部办件。") if counted else ""
    first, last = _day(args.get("from", "")[:10]), _day(args.get("to", "")[:10])
    staff = args.get("staff", "")[:32]
    problems = []
    if (args.get("from") or args.get("to")) and not (first and last and first <= last):
        first = last = ""
        problems.append(gettext("时段无效（应为起止日期，起不晚于止），已不按时段筛选。"))
    if staff and not _USERNAME.match(staff):
        staff = ""
        problems.append(gettext("工作人员账号无效，已不按工作人员筛选。"))
    drill = {"counted": counted, "from": first, "to": last, "staff": staff}
    return {key: value for key, value in drill.items() if value}, "".join(problems)


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


@bp.get("/")
@login_required("view_cases")
def index() -> Any:
    """List the cases of the user's unit with filters, search and paging (the rows alone for htmx)."""
    args = request.args
    within = args.get("within", "").strip()
    within = within if within.isascii() and within.isdigit() and len(within) <= 12 else ""
    where = InboxFilter(
        item_code=args.get("item", "").strip()[:40],
        township=args.get("township", "").strip()[:12],
        state=args.get("state", "") if args.get("state", "") in STATES else "",
        text=args.get("q", "").strip()[:40],
        within=reviews().subtree(within) if within else None,
    )
    drill, drill_error = _drill(args)
    if drill:
        where = replace(
            where,
            counted=drill["counted"],
            first=drill.get("from", ""),
            last=drill.get("to", ""),
            staff=drill.get("staff", ""),
        )
    light = args.get("light", "") if args.get("light", "") in LIGHTS else ""
    page = _page_number(args.get("page", ""))
    size = int(current_app.config["INBOX_PAGE_SIZE"])
    store = reviews()
    scope = case_scope(store, g.user)
    calendar, day = get_calendar(), today()
    if fmt := export_format():
        return _export(store, scope, where, light, fmt)
    if light:
        # The light is not a column: filter the matching cases by it, then page in memory. A unit's
        # open cases are a few thousand at most; their states are read once per request.
        matching = [
            row
            for row in store.inbox_rows(scope, where, limit=None)
            if _light(row, day, calendar) == light
        ]
        total = len(matching)
        rows = matching[(page - 1) * size : page * size]
    else:
        total = store.inbox_count(scope, where)
        rows = store.inbox_rows(scope, where, limit=size, offset=(page - 1) * size)
    for row in rows:
        row["deadline"] = case_deadline(row["state_obj"], day, calendar)
    pages = max(1, -(-total // size))
    query = {
        "item": where.item_code,
        "township": where.township,
        "within": within,
        "state": where.state,
        "q": where.text,
        "light": light,
        **drill,
    }
    return render_page(
        "central/inbox/index.html",
        "central/inbox/_rows.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        query={k: v for k, v in query.items() if v},
        choices=store.inbox_choices(scope),
        units=store.unit_names(),
        lights=LIGHTS,
        inbox_warnings=_warnings(store),
        warning_levels=LEVEL_LABELS,
        warning_stages=STAGE_LABELS,
        drill=drill,
        drill_error=drill_error,
        counted_labels=COUNTED_LABELS,
    )


def _export(store: Any, scope: Any, where: InboxFilter, light: str, fmt: str) -> Any:
    """Send every matching case (not one page), ID numbers and phones masked, as a download."""
    calendar, day = get_calendar(), today()
    rows = store.inbox_rows(scope, where, limit=None if light else export_tables.EXPORT_MAX)
    if light:
        rows = [row for row in rows if _light(row, day, calendar) == light]
    rows = rows[: export_tables.EXPORT_MAX]
    for row in rows:
        row["deadline"] = case_deadline(row["state_obj"], day, calendar)
    names = store.unit_names()
    parts = [
        (gettext("事项"), where.item_code),
        (gettext("乡镇（街道）"), names.get(where.township, where.township)),
        (gettext("状态"), gettext(STATE_LABELS[where.state]) if where.state else ""),
        (gettext("搜索"), where.text),
        (gettext("时限"), gettext(LIGHT_LABELS[light]) if light else ""),
        (gettext("统计口径"), gettext(COUNTED_LABELS[where.counted]) if where.counted else ""),
        (gettext("时段"), f"{where.first}—{where.last}" if where.first else ""),
        (gettext("工作人员"), where.staff),
    ]
    filters = "；".join(f"{label}：{value}" for label, value in parts if value)
    title = gettext("待审批办件") if roles.may(g.user["role"], "decide") else gettext("办件监察")
    table = export_tables.inbox_table(title, rows, lambda u: names.get(u, u))
    return send_export(table, filters, "cases", fmt)


def _warnings(store: Any) -> list[dict[str, Any]]:
    """Return the warnings in force for the user: a reviewer's unit's, a supervisor's subtree's."""
    units = (
        store.subtree(g.user["org_code"])
        if g.user["role"] == roles.SUPERVISOR
        else frozenset({g.user["org_code"]})
    )
    return SupervisionStore(get_store()).open_warnings(units)


def _light(row: dict[str, Any], day: Any, calendar: Any) -> str:
    status = case_deadline(row["state_obj"], day, calendar)
    return status.light if status else ""


@bp.get("/home")
def home() -> Any:
    """Send a logged-in user to their role's first page."""
    if g.get("user") is None:
        return redirect(url_for("auth.login"))
    return redirect(home_url(g.user["role"]))
