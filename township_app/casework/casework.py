"""Casework at the township: register, accept, refuse, request and receive supplements, review,
forward, complete, withdraw.

Each action checks who may do it and what the form says, and writes its event through
``township_app.casework.case_log``, the one write path: in one BEGIN IMMEDIATE transaction the event is
folded onto the case's state (the fold refuses it, with its message, if the rules do not allow
it), appended to this device's hash chain and the log, the projection updated and, for a forwarded
case, queued in the outbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sync import events as ev
from sync.agency import is_village_code, township_of
from sync.applicant_rules import (
    APPLICANT_KINDS,
    LEGAL_PERSON_KINDS,
    PERSON,
    check_contact_phone,
)
from sync.case_numbers import format_case_number, new_query_code
from sync.catalogue_rules import snapshot_of
from sync.errors import N_, Conflict, InvalidForm, InvalidInput, NotAllowed, NotFound
from sync.events import business_date, format_time
from sync.fold import CaseState
from sync.identity_documents import RESIDENT_ID, check_identity_document
from sync.ids import check_credit_code, check_mobile
from township_app.casework import agency, case_log
from township_app.casework.blobs import StoredScan
from township_app.roles import require_permission
from township_app.stores.store import Store

MAX_NAME = 50
MAX_TEXT = 500


@dataclass(frozen=True)
class Actor:
    """Who acts: the logged-in user and their role and unit."""

    username: str
    role: str
    org_code: str


@dataclass(frozen=True)
class ApplicantForm:
    """The applicant (and optional proxy) as typed at the window."""

    name: str
    id_number: str
    phone: str
    address: str
    village_code: str
    proxy_name: str = ""
    proxy_id_number: str = ""
    proxy_phone: str = ""
    proxy_relation: str = ""
    # Beyond resident ID cards (``sync.applicant_rules``): the kind of applicant, a natural
    # person's document, a legal person's code and representative, an enterprise agent.
    applicant_kind: str = "person"
    id_type: str = "resident_id"
    credit_code: str = ""
    legal_rep: str = ""
    contact: str = ""
    proxy_id_type: str = "resident_id"
    agent_id: str = ""


def record(
    store: Store,
    case_id: str,
    event_type: str,
    payload: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Write this PC's new event on a case if its rules allow it, and return the case's new state."""
    draft = case_log.Draft(case_id, event_type, payload, actor.username, now)
    return case_log.write_event(store, draft, case_log.Origin.OWN)


def record_central(store: Store, event: ev.Event) -> CaseState:
    """Write an event of central's (a decision, a return) on its case, if the rules allow."""
    following = case_log.write_event(store, event, case_log.Origin.CENTRAL)
    assert following is not None  # only a relayed event is ever skipped
    return following


def clean_applicant(form: ApplicantForm, *, villages: Iterable[str], today: date) -> dict[str, Any]:
    """Check the applicant's fields all at once and return them cleaned, or raise InvalidForm."""
    errors: dict[str, str] = {}

    def check(field: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except InvalidInput as error:
            errors[field] = error.message
            return ""

    # A form without the choices (older pages, scripts) means a resident with an ID card.
    kind = form.applicant_kind or PERSON
    id_type = form.id_type or RESIDENT_ID
    proxy_id_type = form.proxy_id_type or RESIDENT_ID
    legal = kind in LEGAL_PERSON_KINDS
    if kind not in APPLICANT_KINDS:
        errors["applicant_kind"] = N_("请选择申请人类型。")
    name = form.name.strip()
    if not name:
        errors["name"] = N_("请填写单位名称。") if legal else N_("请填写申请人姓名。")
    elif len(name) > (MAX_NAME * 2 if legal else MAX_NAME):
        errors["name"] = N_("名称过长。") if legal else N_("姓名过长。")
    if legal:
        credit_code = check("credit_code", check_credit_code, form.credit_code)
        legal_rep = form.legal_rep.strip()
        if not legal_rep:
            errors["legal_rep"] = N_("请填写法定代表人（负责人）姓名。")
        elif len(legal_rep) > MAX_NAME:
            errors["legal_rep"] = N_("姓名过长。")
        phone = check("phone", check_contact_phone, form.phone)
    else:
        id_number = check(
            "id_number",
            lambda s: check_identity_document(id_type, s, today=today),
            form.id_number,
        )
        phone = check("phone", check_mobile, form.phone) if form.phone.strip() else ""
    if form.village_code and form.village_code not in set(villages):
        errors["village_code"] = N_("请选择本乡镇（街道）的村（社区）。")
    if len(form.address) > MAX_TEXT:
        errors["address"] = N_("地址过长。")
    proxy = None
    if any((form.proxy_name.strip(), form.proxy_id_number.strip(), form.proxy_phone.strip())):
        proxy_name = form.proxy_name.strip()
        if not proxy_name:
            errors["proxy_name"] = N_("请填写代办人姓名。")
        proxy_id = check(
            "proxy_id_number",
            lambda s: check_identity_document(proxy_id_type, s, today=today),
            form.proxy_id_number,
        )
        proxy_phone = (
            check("proxy_phone", check_mobile, form.proxy_phone) if form.proxy_phone.strip() else ""
        )
        proxy = {
            "name": proxy_name,
            "id_number": proxy_id,
            "phone": proxy_phone,
            "relation": form.proxy_relation.strip()[:MAX_NAME],
        }
        if proxy_id_type != RESIDENT_ID:
            proxy["id_type"] = proxy_id_type
    if errors:
        raise InvalidForm(errors)
    if legal:
        applicant = {
            "kind": kind,
            "name": name,
            "credit_code": credit_code,
            "legal_rep": legal_rep,
            "contact": form.contact.strip()[:MAX_NAME],
            "phone": phone,
            "address": form.address.strip(),
            "village_code": form.village_code,
        }
    else:
        applicant = {
            "name": name,
            "id_number": id_number,
            "phone": phone,
            "address": form.address.strip(),
            "village_code": form.village_code,
        }
        if id_type != RESIDENT_ID:
            applicant["id_type"] = id_type
    return {"applicant": applicant, "proxy": proxy}


def materials_checklist(
    item: Mapping[str, Any], checked: Iterable[str], scans: Mapping[str, list[StoredScan]]
) -> list[dict[str, Any]]:
    """Build the materials of a case from the item's list, the boxes ticked and the scans attached."""
    checked = set(checked)
    return [
        {
            "code": m["code"],
            "name": m["name"],
            "mandatory": bool(m["mandatory"]),
            # A scan is proof enough that the material was handed in.
            "received": m["code"] in checked or bool(scans.get(m["code"])),
            "files": [_file_entry(s) for s in scans.get(m["code"], [])],
        }
        for m in item["materials"]
    ]


def _file_entry(scan: StoredScan) -> dict[str, Any]:
    return {
        "sha256": scan.sha256,
        "size": scan.size,
        "media_type": scan.media_type,
        "filename": scan.filename,
    }


def register_case(
    store: Store,
    *,
    case_id: str,
    item_code: str,
    applicant: Mapping[str, Any],
    proxy: Mapping[str, Any] | None,
    materials: list[dict[str, Any]],
    green_channel: bool,
    actor: Actor,
    now: datetime,
) -> tuple[CaseState, bool]:
    """Register a new case, or return the existing one if this form was already submitted.

    Returns the case and whether it was created now (False for a double submission).
    """
    require_permission(actor.role, "register")
    try:
        uuid.UUID(case_id)
    except ValueError:
        raise Conflict(N_("表单已失效，请重新打开登记页面。")) from None
    item = store.item(item_code)
    if item is None:
        raise InvalidInput(N_("事项不存在或已停用，请重新选择事项。"), field="item_code")
    with case_log.writing(store) as writer:
        existing = store.case(case_id)
        if existing is not None:
            return existing, False
        # Read once, under the write lock: the case number needs the unit and device code, the
        # event the chain head, and no other window may move that head meanwhile.
        device = writer.device()
        if device is None:
            raise NotAllowed(N_("本机尚未初始化，请联系信息化人员运行 bianmin-township init。"))
        village_pc = is_village_code(device["org_code"])
        agency_code = (
            device["org_code"] if village_pc else (actor.org_code if actor.role == "agent" else "")
        )
        if agency_code and not item.get("village_available"):
            raise NotAllowed(N_("该事项不能在村代办点申请，请到乡镇便民服务中心窗口办理。"))
        if agency_code or proxy:
            # A proxy application needs its entrustment: an agent's (a village PC's, or an agent
            # at the hall) its scan, a proxy at the window at least the paper.
            materials = agency.with_entrustment(materials, proxy, scan_required=bool(agency_code))
        day = business_date(format_time(now))
        sequence = store.next_case_sequence(day.isoformat())
        payload = {
            "case_number": format_case_number(
                day, device["org_code"], device["device_code"], sequence
            ),
            "query_code": new_query_code(),
            # A village PC registers for its township, which accepts and holds the case.
            "org_code": township_of(device["org_code"]) if village_pc else device["org_code"],
            "channel": "village" if agency_code else "window",
            "green_channel": green_channel,
            "item": snapshot_of(item, item["catalogue_version"]),
            "applicant": dict(applicant),
            "proxy": dict(proxy) if proxy else None,
            "materials": materials,
        }
        if agency_code:
            payload["agency_code"] = agency_code
        draft = case_log.Draft(case_id, ev.REGISTERED, payload, actor.username, now)
        return writer.write(draft, case_log.Origin.OWN), True


def accept_case(store: Store, case_id: str, actor: Actor, now: datetime) -> CaseState:
    """Accept a case at the window and start its clock."""
    require_permission(actor.role, "decide_intake")
    return record(store, case_id, ev.ACCEPTED, {}, actor, now)


def refuse_case(store: Store, case_id: str, reason: str, actor: Actor, now: datetime) -> CaseState:
    """Refuse to accept a case (不予受理), stating the reasons."""
    require_permission(actor.role, "decide_intake")
    payload = {"reason": _limited(reason, N_("不予受理必须说明理由。"), "reason")}
    return record(store, case_id, ev.REFUSED, payload, actor, now)


def request_supplement(
    store: Store,
    case_id: str,
    *,
    missing_codes: Iterable[str],
    other_missing: str,
    note: str,
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Tell the applicant every missing material at once (一次性告知) and wait for them."""
    require_permission(actor.role, "request_supplement")
    state = store.case(case_id)
    if state is None:
        raise NotFound(N_("没有找到该办件。"))
    names = {m["code"]: m["name"] for m in state.materials}
    missing = [{"code": code, "name": names.get(code, code), "note": ""} for code in missing_codes]
    missing += [
        {"code": "", "name": line.strip()[:MAX_TEXT], "note": ""}
        for line in other_missing.splitlines()
        if line.strip()
    ]
    if not missing:
        raise InvalidInput(
            N_("请勾选或填写需要补正的材料：一次性告知必须列明全部缺少的材料。"), field="missing"
        )
    payload = {"missing": missing, "note": note.strip()[:MAX_TEXT]}
    return record(store, case_id, ev.SUPPLEMENT_REQUESTED, payload, actor, now)


def receive_supplement(
    store: Store,
    case_id: str,
    *,
    checked: Iterable[str],
    scans: Mapping[str, list[StoredScan]],
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Record the materials the applicant brought for a supplement; the clock resumes."""
    require_permission(actor.role, "receive_supplement")
    case_id = visible_case(store, case_id, actor).case_id
    codes = sorted(set(checked) | {code for code, files in scans.items() if files})
    payload = {
        "materials": [
            {"code": code, "files": [_file_entry(s) for s in scans.get(code, [])]} for code in codes
        ]
    }
    return record(store, case_id, ev.SUPPLEMENT_RECEIVED, payload, actor, now)


def forward_case(
    store: Store, case_id: str, *, opinion: str, conclusion: str, actor: Actor, now: datetime
) -> CaseState:
    """Record the township's preliminary review opinion and forward the case to the county."""
    require_permission(actor.role, "forward")
    with case_log.writing(store) as writer:
        device = writer.device()  # read once: the writer chains the event with the same row
        unit = store.org_unit(device["org_code"]) if device else None
        parent = unit["parent_code"] if unit else None
        if not parent:
            raise NotAllowed(
                N_("本机所属单位没有上级单位，无法上报；请联系信息化人员检查组织机构。")
            )
        payload = {
            "opinion": _limited(opinion, N_("上报前必须填写初审意见。"), "opinion"),
            "conclusion": conclusion,
            "to_org": parent,
        }
        draft = case_log.Draft(case_id, ev.FORWARDED, payload, actor.username, now)
        return writer.write(draft, case_log.Origin.OWN)


def complete_case(
    store: Store,
    case_id: str,
    *,
    outcome: str,
    document_number: str,
    reasons: str,
    note: str,
    actor: Actor,
    now: datetime,
) -> CaseState:
    """Complete (办结) an immediate or promised case with its result."""
    require_permission(actor.role, "complete")
    # A case decided above is completed with the decision (results.py); the fold refuses any other.
    payload = {
        "outcome": outcome,
        "document_number": document_number.strip()[:MAX_NAME],
        "reasons": reasons.strip()[:MAX_TEXT],
        "note": note.strip()[:MAX_TEXT],
    }
    return record(store, case_id, ev.COMPLETED, payload, actor, now)


def withdraw_case(
    store: Store, case_id: str, reason: str, actor: Actor, now: datetime
) -> CaseState:
    """Record that the applicant withdrew the application."""
    require_permission(actor.role, "withdraw")
    case_id = visible_case(store, case_id, actor).case_id
    payload = {"reason": _limited(reason, N_("撤回申请须记录原因。"), "reason")}
    return record(store, case_id, ev.WITHDRAWN, payload, actor, now)


def visible_case(store: Store, case_id: str, actor: Actor) -> CaseState:
    """Return a case the actor may see, or refuse (a village agent sees only its own agency
    point's cases)."""
    state = store.case(case_id)
    if state is None:
        raise NotFound(N_("没有找到该办件。"))
    if actor.role == "agent" and state.agency_code != actor.org_code:
        # Same answer as for a missing case: guessing URLs tells nothing.
        raise NotFound(N_("没有找到该办件。"))
    return state


def _limited(text: str, message: str, field: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(message, field=field)
    return cleaned[: MAX_TEXT * 2]
