"""Corrections (更正) of a registered case: the form with the case's values as they are, and its
submission with a reason; the trail is the case's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext

from staff_pages.display import translate_error
from staff_pages.htmx import render_page
from sync.correction_rules import needs_reviewer
from sync.errors import Conflict, InvalidForm, InvalidInput, NotAllowed
from township_app import roles
from township_app.casework import casework, corrections
from township_app.db import get_store, now, today
from township_app.pages.auth import current_actor, login_required

bp = Blueprint("corrections", __name__, url_prefix="/corrections")


@bp.route("/cases/<case_id>", methods=("GET", "POST"))
@login_required("correct")
def correct(case_id: str) -> Any:
    """Show the correction form of a case, or record the correction (更正) with its reason."""
    store = get_store()
    actor = current_actor()
    state = casework.visible_case(store, case_id, actor)
    errors: dict[str, str] = {}
    form: Mapping[str, Any] = request.form
    status = 200
    if request.method == "POST":
        try:
            corrections.correct_case(
                store,
                case_id,
                form=casework.ApplicantForm(
                    **{
                        field: form.get(field, "")
                        for field in casework.ApplicantForm.__dataclass_fields__
                    }
                ),
                received=form.getlist("received"),
                reason=form.get("reason", ""),
                seen=form.get("seen", ""),
                villages=[u["code"] for u in store.child_units(state.org_code)],
                actor=actor,
                now=now(),
                today=today(),
            )
        except InvalidForm as invalid:
            errors = {
                field: translate_error(InvalidInput(msg)) for field, msg in invalid.errors.items()
            }
            errors["_form"] = translate_error(invalid)
            status = 422
        except (InvalidInput, NotAllowed, Conflict) as refusal:
            errors = {getattr(refusal, "field", None) or "_form": translate_error(refusal)}
            errors["_form"] = translate_error(refusal)
            status = 409 if isinstance(refusal, Conflict | NotAllowed) else 422
        else:
            flash(gettext("更正已记录，办理过程中可查看更正前后的内容。"), "success")
            return redirect(url_for("cases.show", case_id=case_id, _anchor="timeline"), code=303)
    return render_page(
        "township/corrections/form.html",
        "township/corrections/form.html",
        status=status,
        case=state,
        form=form if request.method == "POST" else _values(state),
        received=(
            set(form.getlist("received"))
            if request.method == "POST"
            else {m["code"] for m in state.materials if m["received"]}
        ),
        seen=form.get("seen") or state.last_event_id,
        errors=errors,
        reviewer_only=needs_reviewer(state),
        may_correct=not needs_reviewer(state) or g.user["role"] == roles.REVIEWER,
    )


def _values(state: Any) -> dict[str, str]:
    proxy = state.proxy or {}
    return {
        "name": state.applicant["name"],
        "id_number": state.applicant["id_number"],
        "phone": state.applicant.get("phone", ""),
        "address": state.applicant.get("address", ""),
        "proxy_name": proxy.get("name", ""),
        "proxy_id_number": proxy.get("id_number", ""),
        "proxy_phone": proxy.get("phone", ""),
        "proxy_relation": proxy.get("relation", ""),
    }
