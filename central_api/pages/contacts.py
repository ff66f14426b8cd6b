"""责任人手机号: the supervisor's list of the mobile numbers warnings are sent to, per unit under
theirs (a person by log-in name, or the unit's liaison). Numbers are shown masked; a refusal shows
its message and writes nothing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from central_api.pages.auth import login_required
from central_api.review import contacts
from central_api.stores.contact_store import ContactStore
from central_api.web import get_store, now, page_errors, remote_addr, reviews
from staff_pages.display import translate_error
from sync.errors import InvalidInput
from sync.ids import mask_phone

bp = page_errors(Blueprint("contacts", __name__, url_prefix="/supervision/contacts"))


def _units() -> frozenset[str]:
    return reviews().subtree(g.user["org_code"])


def _render(error: str = "", status: int = 200, form: Any = None) -> Any:
    units = _units()
    rows = ContactStore(get_store()).contacts(units)
    for row in rows:
        row["masked"] = mask_phone(row.pop("phone"))
    return (
        render_template(
            "central/supervision/contacts.html",
            rows=rows,
            units=reviews().unit_names(),
            scope=sorted(units),
            error=error,
            form=form or {},
        ),
        status,
    )


@bp.get("/")
@login_required("supervise")
def index() -> Any:
    """List the numbers recorded for the units under the supervisor's."""
    return _render()


@bp.post("/")
@login_required("supervise")
def save() -> Any:
    """Record or change a person's or a unit liaison's number."""
    form = request.form
    try:
        contacts.save_contact(
            get_store(),
            unit=form.get("unit", "")[:12],
            username=form.get("username", "")[:64],
            name=form.get("name", "")[:200],
            phone=form.get("phone", "")[:40],
            units=_units(),
            actor=g.user["username"],
            now=now(),
            remote_addr=remote_addr(),
        )
    except InvalidInput as refusal:
        return _render(translate_error(refusal), 422, form)
    flash(gettext("已保存。以后该责任人的预警将以短信通知（已配置短信网关时）。"), "success")
    return redirect(url_for("contacts.index"), code=303)


@bp.post("/<int:contact_id>/remove")
@login_required("supervise")
def remove(contact_id: int) -> Any:
    """Forget a contact (a NotFound becomes the 404 page)."""
    contacts.remove_contact(
        get_store(),
        contact_id,
        units=_units(),
        actor=g.user["username"],
        now=now(),
        remote_addr=remote_addr(),
    )
    flash(gettext("已删除。"), "success")
    return redirect(url_for("contacts.index"), code=303)
