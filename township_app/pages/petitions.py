"""Re-examination requests (复核) and complaints (投诉): registered at the window against a case, sent
up with the next bundle, answered above; their list with open or answered status."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request
from flask_babel import gettext

from staff_pages.htmx import render_page
from staff_pages.paging import page_number
from township_app.casework import results
from township_app.db import get_store, now
from township_app.pages.auth import current_actor, login_required
from township_app.pages.cases import act_on_case
from township_app.stores.results_store import PETITION_STATUSES

bp = Blueprint("petitions", __name__, url_prefix="/petitions")


@bp.route("/")
@login_required()
def index() -> Any:
    """List re-examination requests and complaints, newest first, open or answered."""
    page = page_number(request.args.get("page"))
    status = request.args.get("status", "")
    status = status if status in PETITION_STATUSES else ""
    village = g.user["org_code"] if g.user["role"] == "agent" else ""
    found = get_store().results
    rows, has_next = found.petitions(status=status, agency_code=village, page=page)
    return render_page(
        "township/petitions/index.html",
        "township/petitions/_rows.html",
        rows=rows,
        page=page,
        has_next=has_next,
        petition_status=status,
        total=found.count_petitions(status=status, agency_code=village),
        org_names=get_store().org_names(),
    )


@bp.route("/cases/<case_id>", methods=("POST",))
@login_required("petition")
def create(case_id: str) -> Any:
    """Register a re-examination request or a complaint against a case."""
    return act_on_case(
        case_id,
        lambda: results.register_petition(
            get_store(),
            case_id,
            kind=request.form.get("kind", ""),
            text=request.form.get("text", ""),
            contact=request.form.get("contact", ""),
            actor=current_actor(),
            now=now(),
        ),
        done=gettext("已登记，将随下次同步报送上级，答复回传后显示在本页。"),
        anchor="petitions",
    )
