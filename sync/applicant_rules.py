"""Who may apply: natural persons with any accepted identity document, and legal persons
(企业、社会组织、村集体) by their unified social credit code; which kinds an item accepts.

The applicant of a ``registered`` event is one of:

- a natural person (``kind`` absent or ``"person"``): name, ``id_type`` (absent means the resident
  ID card), ``id_number`` checked by its document's rule (``sync.identity_documents``), phone,
  address, village;
- a legal person (``kind`` ``"enterprise"``, ``"social_org"`` or ``"village_collective"``): the
  unit's name, ``credit_code`` (GB 32100), ``legal_rep`` (法定代表人或负责人), ``phone`` (a mobile or a
  landline with its area code), optional ``contact`` (经办人), address, village.

A proxy is always a natural person; a registered enterprise agent (企业代办员) carries the
``agent_id`` of the township's agent registry. Fields a resident-ID applicant never had (``kind``,
``id_type``) are left out for them, so a case registered before these rules folds to the same state.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sync.errors import N_, InvalidInput
from sync.identity_documents import ID_TYPES, RESIDENT_ID, check_identity_document
from sync.ids import check_credit_code, check_mobile

PERSON = "person"
ENTERPRISE = "enterprise"
SOCIAL_ORG = "social_org"
VILLAGE_COLLECTIVE = "village_collective"
APPLICANT_KINDS = (PERSON, ENTERPRISE, SOCIAL_ORG, VILLAGE_COLLECTIVE)
LEGAL_PERSON_KINDS = frozenset((ENTERPRISE, SOCIAL_ORG, VILLAGE_COLLECTIVE))
APPLICANT_KIND_LABELS = {
    PERSON: N_("自然人"),
    ENTERPRISE: N_("企业"),
    SOCIAL_ORG: N_("社会组织"),
    VILLAGE_COLLECTIVE: N_("村集体经济组织"),
}
# An item that says nothing accepts natural persons only: every item published before the field.
DEFAULT_APPLICANT_KINDS = (PERSON,)
ENTERPRISE_AGENT_RELATION = "企业代办员"

MAX_NAME = 100
MAX_TEXT = 500
# A landline with its area code (0 and 2–3 digits), 7–8 digits, an optional extension.
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")


def _text(raw: Mapping[str, Any], key: str, message: str, *, limit: int = MAX_TEXT) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise InvalidInput(message or N_("内容格式不正确。"), field=key)
    value = value.strip()
    if message and not value:
        raise InvalidInput(message, field=key)
    if len(value) > limit:
        raise InvalidInput(N_("内容过长（不超过%(limit)s字）。"), field=key, limit=limit)
    return value


def check_contact_phone(s: str) -> str:
    """Return a unit's contact phone (a mobile, or a landline with its area code), or refuse it."""
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))
    if not compact:
        raise InvalidInput(N_("请填写单位联系电话。"), field="phone")
    if _LANDLINE.fullmatch(compact):
        return compact
    try:
        return check_mobile(compact)
    except InvalidInput:
        raise InvalidInput(
            N_("联系电话应为11位手机号码，或带区号的固定电话（如0535-6612345）。"), field="phone"
        ) from None


def applicant_kinds_field(raw: Any) -> tuple[str, ...]:
    """Return the kinds of applicant an item accepts (absent: natural persons), or refuse them."""
    if raw is None:
        return DEFAULT_APPLICANT_KINDS
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(N_("可申请的申请人类型应为非空列表。"), field="applicant_kinds")
    for kind in raw:
        if kind not in APPLICANT_KINDS:
            raise InvalidInput(
                N_(
                    "申请人类型“%(kind)s”不正确，只能是 person、enterprise、social_org、village_collective。"
                ),
                field="applicant_kinds",
                kind=str(kind)[:40],
            )
    if len(set(raw)) != len(raw):
        raise InvalidInput(N_("可申请的申请人类型有重复。"), field="applicant_kinds")
    return tuple(raw)


def applicant_kind(applicant: Mapping[str, Any]) -> str:
    """Return the kind of a parsed applicant (a natural person unless it says otherwise)."""
    return str(applicant.get("kind") or PERSON)


def is_legal_person(applicant: Mapping[str, Any] | None) -> bool:
    """Tell whether an applicant is a legal person (企业、社会组织、村集体)."""
    return bool(applicant) and applicant_kind(applicant) in LEGAL_PERSON_KINDS


def check_accepted_kind(applicant: Mapping[str, Any], kinds: Sequence[str]) -> None:
    """Refuse an applicant of a kind the item does not accept, naming the kinds it does."""
    kind = applicant_kind(applicant)
    if kind not in kinds:
        raise InvalidInput(
            N_("该事项不受理%(kind)s申请，只受理：%(accepted)s。"),
            field="applicant_kind",
            kind=APPLICANT_KIND_LABELS[kind],
            accepted="、".join(APPLICANT_KIND_LABELS[k] for k in kinds),
        )


def parse_person(raw: Any, *, with_address: bool, day: date) -> dict[str, Any]:
    """Return an applicant (with address) or a proxy (with relation), or refuse it."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(N_("缺少申请人信息。"), field="applicant")
    kind = raw.get("kind", PERSON)
    if kind not in APPLICANT_KINDS:
        raise InvalidInput(N_("申请人类型不正确。"), field="applicant_kind")
    if kind in LEGAL_PERSON_KINDS:
        if not with_address:
            raise InvalidInput(N_("代办人只能是自然人。"), field="proxy")
        return _legal_person(raw, kind)
    id_type = raw.get("id_type", RESIDENT_ID)
    if id_type not in ID_TYPES:
        raise InvalidInput(N_("证件类型不正确。"), field="id_type")
    id_number = raw.get("id_number", "")
    person: dict[str, Any] = {
        "name": _text(raw, "name", N_("请填写姓名。")),
        "id_number": check_identity_document(
            id_type, id_number if isinstance(id_number, str) else str(id_number), today=day
        ),
        "phone": _text(raw, "phone", ""),
    }
    if id_type != RESIDENT_ID:
        person["id_type"] = id_type
    if with_address:
        person["address"] = _text(raw, "address", "")
        person["village_code"] = _text(raw, "village_code", "")
    else:
        person["relation"] = _text(raw, "relation", "")
        agent_id = raw.get("agent_id")
        if agent_id is not None:
            person["agent_id"] = _text(raw, "agent_id", N_("企业代办员编号不正确。"), limit=64)
    return person


def _legal_person(raw: Mapping[str, Any], kind: str) -> dict[str, Any]:
    credit_code = raw.get("credit_code", "")
    phone = raw.get("phone", "")
    return {
        "kind": kind,
        "name": _text(raw, "name", N_("请填写单位名称。"), limit=MAX_NAME),
        "credit_code": check_credit_code(credit_code if isinstance(credit_code, str) else ""),
        "legal_rep": _text(
            raw, "legal_rep", N_("请填写法定代表人（负责人）姓名。"), limit=MAX_NAME
        ),
        "contact": _text(raw, "contact", "", limit=MAX_NAME),
        "phone": check_contact_phone(phone if isinstance(phone, str) else ""),
        "address": _text(raw, "address", ""),
        "village_code": _text(raw, "village_code", ""),
    }


def applicant_number(applicant: Mapping[str, Any]) -> str:
    """Return the number an applicant is found by: the credit code of a legal person, else the
    identity document's number."""
    return str(applicant.get("credit_code") or applicant.get("id_number") or "")
