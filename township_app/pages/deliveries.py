"""Results to deliver (待送达): decisions from above waiting at the window, and the window's delivery
(送达) and completion (办结) of them."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Blueprint, g, request
from flask_babel import gettext

from staff_pages.htmx import render_page
from staff_pages.paging import page_number
from sync import labels
from township_app.casework import results
from township_app.db import get_store, now
from township_app.pages.auth import current_actor, login_required
from township_app.pages.cases import act_on_case

log = logging.getLogger(__name__)

bp = Blueprint("deliveries", __name__, url_prefix="/results")


def _village() -> str:
    # A village agent sees only its own agency point's cases (never the window's of its village).
    return g.user["org_code"] if g.user["role"] == "agent" else ""


@bp.route("/")
@login_required()
def index() -> Any:
    """List the decided cases waiting to be delivered, oldest first (the rows alone for htmx)."""
    page = page_number(request.args.get("page"))
    found = get_store().results
    cases, has_next = found.decided_cases(agency_code=_village(), page=page)
    return render_page(
        "township/results/index.html",
        "township/results/_rows.html",
        cases=cases,
        page=page,
        has_next=has_next,
        total=found.count_decided(agency_code=_village()),
        org_names=get_store().org_names(),
    )


@bp.route("/<case_id>/deliver", methods=("POST",))
@login_required("deliver")
def deliver(case_id: str) -> Any:
    """Record the delivery, and complete the case too unless only the delivery was asked for."""
    only_delivery = request.form.get("then") == "deliver"
    step = results.deliver_case if only_delivery else results.deliver_and_complete
    return act_on_case(
        case_id,
        lambda: step(
            get_store(),
            case_id,
            method=request.form.get("method", ""),
            recipient=request.form.get("recipient", ""),
            note=request.form.get("note", ""),
            actor=current_actor(),
            now=now(),
        ),
        done=gettext("已登记送达。") if only_delivery else gettext("已送达并办结。"),
    )


@bp.route("/<case_id>/complete", methods=("POST",))
@login_required("deliver")
def complete(case_id: str) -> Any:
    """Complete a delivered case with the decision from above."""
    return act_on_case(
        case_id,
        lambda: results.complete_decided_case(
            get_store(),
            case_id,
            note=request.form.get("note", ""),
            actor=current_actor(),
            now=now(),
        ),
        done=gettext("已办结。"),
    )


@bp.app_context_processor
def _waiting_counts() -> dict[str, Any]:
    """Offer the menu's counts of results to deliver and open petitions, read only when shown."""

    def count(what: str) -> int:
        if g.get("user") is None:
            return 0
        try:
            found = get_store().results
            if what == "results":
                return found.count_decided(agency_code=_village())
            return found.count_petitions(status="open", agency_code=_village())
        except sqlite3.DatabaseError:
            return 0  # a damaged database: the page's own banner says so

    return {
        "waiting_count": count,
        "delivery_label": lambda method: gettext(labels.DELIVERY_LABELS.get(method, method)),
        "delivery_methods": labels.DELIVERY_LABELS,
    }
