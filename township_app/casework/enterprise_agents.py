"""Enterprise agents (企业代办员): trained people who apply at the window for the enterprises that
entrusted them. The township keeps a registry of them and of the entrustments they hold (which
enterprise, valid from and until); an application made by one carries the agent as its proxy,
with the registry's ``agent_id``, so that the agent's applications are marked and can be listed.

The registry is the township's own (the reviewer and the admin keep it); what travels with the case
is the proxy on the ``registered`` event, which the fold checks like any other proxy.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sync.applicant_rules import ENTERPRISE_AGENT_RELATION, is_legal_person
from sync.errors import N_, Conflict, InvalidForm, InvalidInput, NotAllowed, NotFound
from sync.events import format_time
from sync.identity_documents import ID_TYPES, check_identity_document
from sync.ids import check_credit_code, check_mobile
from township_app.roles import require_permission
from township_app.stores.store import Store

MAX_NAME = 50
MAX_NOTE = 200
# An entrustment is for a stated period; more than five years ahead is most likely a typing error.
MAX_YEARS = 5


def register_agent(
    store: Store,
    *,
    name: str,
    id_type: str,
    id_number: str,
    phone: str,
    note: str,
    role: str,
    username: str,
    now: datetime,
    today: date,
) -> str:
    """Register an enterprise agent by name and identity document; return the new agent's id."""
    require_permission(role, "manage_agents")
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = N_("请填写代办员姓名。")
    elif len(name) > MAX_NAME:
        errors["name"] = N_("姓名过长。")
    if id_type not in ID_TYPES:
        errors["id_type"] = N_("请选择证件类型。")
    else:
        try:
            id_number = check_identity_document(id_type, id_number, today=today)
        except InvalidInput as error:
            errors["id_number"] = error.message
    try:
        phone = check_mobile(phone)
    except InvalidInput as error:
        errors["phone"] = error.message
    if len(note) > MAX_NOTE:
        errors["note"] = N_("备注过长。")
    if errors:
        raise InvalidForm(errors)
    agent_id = str(uuid.uuid4())
    with store.write():
        if store.agents.agent_by_document(id_type, id_number) is not None:
            raise Conflict(N_("持该证件的代办员已经登记过了。"))
        store.agents.add_agent(
            {
                "agent_id": agent_id,
                "name": name,
                "id_type": id_type,
                "id_number": id_number,
                "phone": phone,
                "note": note.strip(),
                "created_at": format_time(now),
                "created_by": username,
            }
        )
        store.audit(format_time(now), username, "register_enterprise_agent", agent_id)
    return agent_id


def set_agent_active(
    store: Store, agent_id: str, active: bool, *, role: str, username: str, now: datetime
) -> None:
    """Stop an agent from acting for enterprises (or let them again); their cases stay theirs."""
    require_permission(role, "manage_agents")
    with store.write():
        if store.agents.agent(agent_id) is None:
            raise NotFound(N_("没有找到该代办员。"))
        store.agents.set_active(agent_id, active)
        action = "resume_enterprise_agent" if active else "stop_enterprise_agent"
        store.audit(format_time(now), username, action, agent_id)


def add_entrustment(
    store: Store,
    agent_id: str,
    *,
    credit_code: str,
    enterprise_name: str,
    valid_from: str,
    valid_until: str,
    note: str,
    role: str,
    username: str,
    now: datetime,
    today: date,
) -> str:
    """Record that an enterprise entrusted the agent for a period; return the entrustment's id."""
    require_permission(role, "manage_agents")
    errors: dict[str, str] = {}
    try:
        credit_code = check_credit_code(credit_code)
    except InvalidInput as error:
        errors["credit_code"] = error.message
    enterprise_name = enterprise_name.strip()
    if not enterprise_name:
        errors["enterprise_name"] = N_("请填写委托单位名称。")
    elif len(enterprise_name) > 100:
        errors["enterprise_name"] = N_("单位名称过长。")
    start = _day(valid_from or today.isoformat(), "valid_from", errors)
    until = _day(valid_until, "valid_until", errors)
    if start and until:
        if until < start:
            errors["valid_until"] = N_("委托截止日期不能早于开始日期。")
        elif until < today:
            errors["valid_until"] = N_("委托截止日期已过，无需登记已失效的委托。")
        elif until.year - today.year > MAX_YEARS:
            errors["valid_until"] = N_("委托期限不能超过5年，请核对截止日期。")
    if len(note) > MAX_NOTE:
        errors["note"] = N_("备注过长。")
    if errors:
        raise InvalidForm(errors)
    entrustment_id = str(uuid.uuid4())
    with store.write():
        agent = store.agents.agent(agent_id)
        if agent is None:
            raise NotFound(N_("没有找到该代办员。"))
        store.agents.add_entrustment(
            {
                "entrustment_id": entrustment_id,
                "agent_id": agent_id,
                "credit_code": credit_code,
                "enterprise_name": enterprise_name,
                "valid_from": start.isoformat(),
                "valid_until": until.isoformat(),
                "note": note.strip(),
                "created_at": format_time(now),
                "created_by": username,
            }
        )
        store.audit(format_time(now), username, "add_agent_entrustment", entrustment_id)
    return entrustment_id


def revoke_entrustment(
    store: Store, agent_id: str, entrustment_id: str, *, role: str, username: str, now: datetime
) -> None:
    """Revoke an entrustment (the enterprise withdrew it); it is kept for the cases made under it."""
    require_permission(role, "manage_agents")
    with store.write():
        row = store.agents.entrustment(entrustment_id)
        if row is None or row["agent_id"] != agent_id:
            raise NotFound(N_("没有找到该委托。"))
        if row["revoked_at"]:
            raise Conflict(N_("该委托已经撤销。"))
        store.agents.revoke_entrustment(entrustment_id, format_time(now), username)
        store.audit(format_time(now), username, "revoke_agent_entrustment", entrustment_id)


def agent_as_proxy(
    store: Store, agent_id: str, applicant: Mapping[str, Any], today: date
) -> dict[str, Any]:
    """Return the proxy of an application an enterprise agent makes for this applicant, or refuse:
    the agent must be active and hold a valid entrustment of this very enterprise today."""
    agent = store.agents.agent(agent_id)
    if agent is None:
        raise InvalidInput(N_("没有找到该企业代办员，请重新选择。"), field="agent_id")
    if not agent["active"]:
        raise NotAllowed(N_("代办员%(name)s已停止代办，不能再代为申请。"), name=agent["name"])
    if not is_legal_person(applicant):
        raise InvalidInput(
            N_("企业代办员只能代企业、社会组织或村集体申请；个人申请请填写代办人。"),
            field="agent_id",
        )
    credit_code = str(applicant.get("credit_code", ""))
    if store.agents.live_entrustment(agent_id, credit_code, today.isoformat()) is None:
        raise InvalidInput(
            N_(
                "代办员%(name)s没有统一社会信用代码为%(code)s的单位今天有效的委托，"
                "请先在“企业代办员”页面登记委托（或核对代码）。"
            ),
            field="agent_id",
            name=agent["name"],
            code=credit_code,
        )
    proxy: dict[str, Any] = {
        "name": agent["name"],
        "id_number": agent["id_number"],
        "phone": agent["phone"],
        "relation": ENTERPRISE_AGENT_RELATION,
        "agent_id": agent_id,
    }
    if agent["id_type"] != "resident_id":
        proxy["id_type"] = agent["id_type"]
    return proxy


def _day(text: str, field: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = N_("请按“年-月-日”填写日期，如2027-06-30。")
        return None
