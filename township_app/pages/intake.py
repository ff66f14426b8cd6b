"""Intake at the window: pick an item, enter the applicant, tick and scan the materials."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext

from staff_pages.display import translate_error
from staff_pages.htmx import render_page
from sync.agency import is_village_code
from sync.applicant_rules import DEFAULT_APPLICANT_KINDS, LEGAL_PERSON_KINDS
from sync.correction_rules import entrustment_of
from sync.errors import N_, InvalidForm, InvalidInput, NotAllowed
from sync.identity_documents import ID_TYPES, RESIDENT_ID
from township_app.casework import casework, enterprise_agents
from township_app.casework.agency import ENTRUSTMENT_CODE
from township_app.casework.blobs import StoredScan
from township_app.casework.scans import save_material_scans
from township_app.db import get_store, now, today
from township_app.pages.auth import current_actor, login_required

bp = Blueprint("intake", __name__, url_prefix="/intake")

_SUBMITTED = N_("代办申请已提交。请把办件编号和查询码告诉申请人；下一步见本页「接下来」。")

# The row the form adds for an item whose checklist names no entrustment (委托书): a proxy needs one.
ENTRUSTMENT_ROW = {
    "code": ENTRUSTMENT_CODE,
    "name": N_("代办委托书"),
    "mandatory": True,
    "copies": "",
    "note": N_("由他人代为申请的，须有申请人签字（或按手印）的委托书"),
}


@bp.route("/")
@login_required("register")
def index() -> Any:
    """List the catalogue's items to start an application with (searchable)."""
    store = get_store()
    query = request.args.get("q", "").strip()
    department = request.args.get("department", "")
    items = store.items(department=department, village_only=g.user["role"] == "agent")
    if query:
        items = [i for i in items if query in i["name"] or query in i.get("department", "")]
    return render_page(
        "township/intake/index.html",
        "township/intake/_items.html",
        items=items,
        q=query,
        department=department,
        departments=store.departments(),
        catalogue=store.catalogue_version(),
    )


@bp.route("/new/<item_code>", methods=("GET", "POST"))
@login_required("register")
def create(item_code: str) -> Any:
    """Register an application for an item: applicant, proxy, materials and scans."""
    store = get_store()
    item = store.item(item_code)
    if item is None:
        raise NotAllowed(N_("事项不存在或已停用，请重新选择事项。"))
    device = store.device()  # read once for the page; the registration reads it under its lock
    village_pc = device is not None and is_village_code(device["org_code"])
    villages = _villages(store, device, village_pc)
    errors: dict[str, str] = {}
    form: Mapping[str, Any] = request.form
    if request.method == "POST":
        actor = current_actor()
        try:
            applicant_form = casework.ApplicantForm(
                **{
                    field: form.get(field, "")
                    for field in casework.ApplicantForm.__dataclass_fields__
                }
            )
            if actor.role == "agent":
                applicant_form = _agent_applicant(
                    applicant_form, actor.org_code, g.user["display_name"]
                )
            cleaned = casework.clean_applicant(
                applicant_form, villages=[v["code"] for v in villages], today=today()
            )
            if form.get("agent_id") and actor.role != "agent":
                # An enterprise agent (企业代办员) of the registry applies: they are the proxy.
                cleaned["proxy"] = enterprise_agents.agent_as_proxy(
                    store, form["agent_id"], cleaned["applicant"], today()
                )
            codes = [m["code"] for m in item["materials"]]
            extra = [] if entrustment_of(item["materials"]) else [ENTRUSTMENT_ROW]
            scans = scans_from_request(store, codes + [m["code"] for m in extra])
            materials = casework.materials_checklist(item, form.getlist("received"), scans)
            # The entrustment of an item whose checklist names none, when it was handed in.
            materials += [
                m
                for m in casework.materials_checklist(
                    {"materials": extra}, form.getlist("received"), scans
                )
                if m["received"]
            ]
            state, _created = casework.register_case(
                store,
                case_id=form.get("case_id", ""),
                item_code=item_code,
                applicant=cleaned["applicant"],
                proxy=cleaned["proxy"],
                materials=materials,
                # The green channel needs a reason and an approver: a reviewer grants it on the
                # case page (sync.green_channel), never a tick at registration.
                green_channel=False,
                actor=actor,
                now=now(),
            )
        except InvalidForm as invalid:
            errors = {
                field: translate_error(InvalidInput(msg)) for field, msg in invalid.errors.items()
            }
            errors["_form"] = translate_error(invalid)
        except (InvalidInput, NotAllowed) as invalid:
            errors = {getattr(invalid, "field", None) or "_form": translate_error(invalid)}
            errors.setdefault("_form", translate_error(invalid))
        else:
            if actor.role == "agent":
                flash(gettext(_SUBMITTED), "success")
            return redirect(url_for("cases.show", case_id=state.case_id), code=303)
    if request.method == "GET":
        form = request.args  # the kind of applicant may be chosen by a link (?applicant_kind=)
    return render_page(
        "township/intake/form.html",
        "township/intake/form.html",
        status=422 if errors else 200,
        item=item,
        villages=villages,
        form=form,
        errors=errors,
        case_id=form.get("case_id") or str(uuid.uuid4()),
        received=set(form.getlist("received")) if request.method == "POST" else set(),
        village_pc=village_pc,
        **applicant_choices(store, item, form),
        entrustment_row=None if entrustment_of(item["materials"]) else ENTRUSTMENT_ROW,
        # The agent's own identity, as their last application gave it: typed once, not each time.
        agent_identity=(
            store.agent_identity(g.user["org_code"], g.user["username"])
            if g.user["role"] == "agent"
            else None
        ),
    )


@bp.route("/new/<item_code>/applicant")
@login_required("register")
def applicant_fields(item_code: str) -> Any:
    """Show the applicant's fields for the kind of applicant and the document chosen (htmx)."""
    store = get_store()
    item = store.item(item_code)
    if item is None:
        raise NotAllowed(N_("事项不存在或已停用，请重新选择事项。"))
    device = store.device()
    village_pc = device is not None and is_village_code(device["org_code"])
    return render_page(
        "township/intake/form.html",
        "township/intake/_applicant.html",
        item=item,
        villages=_villages(store, device, village_pc),
        form=request.args,
        errors={},
        case_id=request.args.get("case_id") or str(uuid.uuid4()),
        received=set(),
        village_pc=village_pc,
        **applicant_choices(store, item, request.args),
    )


def applicant_choices(store: Any, item: Mapping[str, Any], form: Mapping[str, Any]) -> dict:
    """Return what the applicant's fields offer: the kinds of applicant the item accepts (the one
    chosen), the identity documents and the enterprise agents of the registry."""
    kinds = list(item.get("applicant_kinds") or DEFAULT_APPLICANT_KINDS)
    kind = form.get("applicant_kind", "")
    if kind not in kinds:
        kind = kinds[0]
    id_type = form.get("id_type", RESIDENT_ID)
    return {
        "applicant_kinds": kinds,
        "applicant_kind": kind,
        "legal_person": kind in LEGAL_PERSON_KINDS,
        "id_types": ID_TYPES,
        "id_type": id_type if id_type in ID_TYPES else RESIDENT_ID,
        "enterprise_agents": (
            store.agents.agents(today().isoformat(), active_only=True)
            if kind in LEGAL_PERSON_KINDS
            else []
        ),
    }


def _villages(
    store: Any, device: Mapping[str, Any] | None, village_pc: bool
) -> list[dict[str, Any]]:
    if device is None:
        return []
    if village_pc:
        # A village agency point takes applications of its own village's residents only.
        unit = store.org_unit(device["org_code"])
        return [unit] if unit else [{"code": device["org_code"], "name": device["org_code"]}]
    return store.child_units(device["org_code"])


def _agent_applicant(
    form: casework.ApplicantForm, village: str, agent_name: str
) -> casework.ApplicantForm:
    # A village agent applies only for residents of its own village, and is the proxy (代办员).
    return replace(
        form,
        village_code=village,
        proxy_name=form.proxy_name.strip() or agent_name.strip(),
        proxy_relation="代办员",
    )


def scans_from_request(store: Any, material_codes: list[str]) -> dict[str, list[StoredScan]]:
    """Store the scans of this request's file fields (``scan_<material code>``)."""
    uploads = {
        code: [
            (upload.stream, upload.filename)
            for upload in request.files.getlist(f"scan_{code}")
            if upload and upload.filename
        ]
        for code in material_codes
    }
    return save_material_scans(
        store,
        Path(current_app.config["BLOB_DIR"]),
        int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024,
        material_codes,
        uploads,
        now(),
    )
