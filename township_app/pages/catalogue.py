"""The catalogue of service items (五统一) and each item's public guide (五公开), printable."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from staff_pages.htmx import render_page
from sync.errors import N_, NotAllowed
from township_app.db import get_store

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")


@bp.route("/")
def index() -> Any:
    """List every item of the unified catalogue (public: no log-in needed)."""
    store = get_store()
    department = request.args.get("department", "")
    return render_page(
        "township/catalogue/index.html",
        "township/catalogue/index.html",
        items=store.items(department=department),
        department=department,
        departments=store.departments(),
        catalogue=store.catalogue_version(),
    )


@bp.route("/<code>")
def guide(code: str) -> Any:
    """Show an item's public guide: legal basis, procedure, conditions, time limit and fees."""
    store = get_store()
    item = store.item(code)
    if item is None:
        raise NotAllowed(N_("没有找到该事项。"))
    return render_page(
        "township/catalogue/guide.html",
        "township/catalogue/guide.html",
        item=item,
        catalogue=store.catalogue_version(),
    )
