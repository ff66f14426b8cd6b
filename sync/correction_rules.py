"""Corrections (更正) of a registered case, and the entrustment (委托书) a proxy application needs.

A clerk corrects the applicant's data (name, ID number, phone, address), the proxy, or which
materials were received, with a reason. A correction is a `corrected` event whose payload names
every changed field with its old and its new value, so the trail shows what was there before; the
fold refuses a correction whose old value is not what the case says now (another window corrected
it first), one that changes nothing, and one after a decision not taken by the township reviewer.
Like every step of the fold, nothing here reads a clock or a database.

Payload::

    {"reason": "身份证号码录入错误", "role": "clerk",
     "changes": [{"field": "applicant.id_number", "old": "…", "new": "…"},
                 {"field": "proxy", "old": null, "new": {"name": …, "id_number": …, …}},
                 {"field": "material.M04", "old": false, "new": true}]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sync import events as ev
from sync.case_payloads import is_mapping
from sync.case_payloads import person_field as _person
from sync.case_payloads import text_field as _text
from sync.case_state import DECIDED, FINAL_STATES, STATE_LABELS, CaseState
from sync.case_state import with_changes as _with
from sync.errors import N_, InvalidInput, NotAllowed
from sync.ids import check_mobile, check_resident_id

MAX_NAME = 50
MAX_TEXT = 500
MAX_CHANGES = 40
REVIEWER_ROLE = (
    "reviewer"  # the township reviewer (乡镇审核人员), who alone corrects a decided case
)
ROLES = ("clerk", "reviewer", "agent")

# The applicant's fields a correction may change, and their labels in the trail.
APPLICANT_FIELDS = {
    "applicant.name": N_("申请人姓名"),
    "applicant.id_number": N_("申请人公民身份号码"),
    "applicant.phone": N_("申请人联系电话"),
    "applicant.address": N_("申请人住址"),
}
PROXY_FIELD = "proxy"
MATERIAL_PREFIX = "material."

STALE = N_(
    "「%(field)s」更正前的内容与办件当前记录不符（可能已被其他窗口更正），请刷新页面后重新更正。"
)
AFTER_DECISION = N_("办件已作出决定（%(state)s），更正须由乡镇审核人员进行。")
NOTHING = N_("没有需要更正的内容：请修改至少一项，并说明更正原因。")


def field_label(field: str, materials: Sequence[Mapping[str, Any]] = ()) -> str:
    """Return the label of a corrected field as the trail shows it (untranslated msgid or name)."""
    if field in APPLICANT_FIELDS:
        return APPLICANT_FIELDS[field]
    if field == PROXY_FIELD:
        return N_("代办人")
    if field.startswith(MATERIAL_PREFIX):
        code = field[len(MATERIAL_PREFIX) :]
        return next((str(m["name"]) for m in materials if m["code"] == code), code)
    return field


def needs_reviewer(state: CaseState) -> bool:
    """Tell whether a correction of the case needs the township reviewer: after a decision (the
    case refused, decided above, completed) or once it is closed (withdrawn)."""
    return state.state == DECIDED or state.state in FINAL_STATES or state.result is not None


def entrustment_of(materials: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Return the entrustment (委托书) among a case's materials, or None if its checklist has none."""
    return next((m for m in materials if "委托书" in str(m["name"])), None)


def check_entrustment(
    materials: Sequence[Mapping[str, Any]],
    proxy: Mapping[str, Any] | None,
    *,
    scan_required: bool,
) -> None:
    """Refuse a proxy application whose entrustment was not handed in: an agent's (village) must
    carry the scan, a proxy at the window at least the paper (ticked as received, or scanned)."""
    if proxy is None:
        return
    entrustment = entrustment_of(materials)
    files = list(entrustment["files"]) if entrustment else []
    if scan_required and not files:
        raise InvalidInput(
            N_("代办申请须上传申请人签字（或按手印）的委托书扫描件。"), field="entrustment"
        )
    if entrustment is None or not (entrustment["received"] or files):
        raise InvalidInput(
            N_(
                "由他人代为申请的，须收取申请人签字（或按手印）的委托书：请勾选委托书或上传扫描件。"
            ),
            field="entrustment",
        )


def corrected_step(state: CaseState, event: ev.Event, p: Mapping[str, Any]) -> CaseState:
    """Apply a correction: every change's old value must be the case's now, its new one valid."""
    reason = _text(p, "reason", N_("请填写更正原因。"))
    if len(reason) > MAX_TEXT:
        raise InvalidInput(N_("更正原因过长（最多 %(n)s 字）。"), field="reason", n=MAX_TEXT)
    role = p.get("role")
    if role not in ROLES:
        raise InvalidInput(N_("更正记录缺少更正人的岗位。"), field="role")
    if needs_reviewer(state) and role != REVIEWER_ROLE:
        raise NotAllowed(AFTER_DECISION, state=_state_label(state))
    changes = p.get("changes")
    if not isinstance(changes, list) or not changes:
        raise InvalidInput(NOTHING, field="changes")
    if len(changes) > MAX_CHANGES:
        raise InvalidInput(N_("一次更正的内容过多。"), field="changes")
    applicant = dict(state.applicant)
    proxy = None if state.proxy is None else dict(state.proxy)
    by_code = {m["code"]: dict(m) for m in state.materials}
    seen: set[str] = set()
    for change in changes:
        if not is_mapping(change) or set(change) != {"field", "old", "new"}:
            raise InvalidInput(N_("更正内容格式不正确。"), field="changes")
        field = change["field"]
        if not isinstance(field, str) or field in seen:
            raise InvalidInput(N_("更正内容格式不正确。"), field="changes")
        seen.add(field)
        old, new = change["old"], change["new"]
        if field in APPLICANT_FIELDS:
            key = field.split(".", 1)[1]
            if old != applicant.get(key, ""):
                raise NotAllowed(STALE, field=APPLICANT_FIELDS[field])
            applicant[key] = _applicant_value(key, new, event)
            if applicant[key] == old:
                raise InvalidInput(NOTHING, field=field)
        elif field == PROXY_FIELD:
            if old != proxy:
                raise NotAllowed(STALE, field=N_("代办人"))
            proxy = None if new is None else _person(new, with_address=False, day=event.day)
            if proxy == old:
                raise InvalidInput(NOTHING, field=field)
        elif field.startswith(MATERIAL_PREFIX):
            code = field[len(MATERIAL_PREFIX) :]
            material = by_code.get(code)
            if material is None:
                raise InvalidInput(
                    N_("事项没有编码为 %(code)s 的材料。"), field="changes", code=code
                )
            if not isinstance(new, bool) or old != material["received"]:
                if not isinstance(new, bool):
                    raise InvalidInput(N_("更正内容格式不正确。"), field="changes")
                raise NotAllowed(STALE, field=material["name"])
            if new == old:
                raise InvalidInput(NOTHING, field=field)
            if not new and material["mandatory"] and state.clock_started:
                raise NotAllowed(
                    N_(
                        "已受理的办件不能把必要材料「%(name)s」更正为未收；如确实缺少，请一次性告知补正。"
                    ),
                    name=material["name"],
                )
            material["received"] = new
        else:
            raise InvalidInput(N_("不能更正「%(what)s」。"), field="changes", what=field[:40])
    materials = tuple(by_code[m["code"]] for m in state.materials)
    if PROXY_FIELD in seen or any(f.startswith(MATERIAL_PREFIX) for f in seen):
        # A proxy added, or the entrustment corrected to "not received", needs the entrustment.
        check_entrustment(materials, proxy, scan_required=False)
    return _with(
        state,
        applicant=applicant,
        proxy=proxy,
        materials=materials,
        corrections=state.corrections + 1,
    )


def _applicant_value(key: str, new: Any, event: ev.Event) -> str:
    if not isinstance(new, str):
        raise InvalidInput(N_("更正内容格式不正确。"), field="changes")
    value = new.strip()
    if key == "name":
        if not value:
            raise InvalidInput(N_("请填写申请人姓名。"), field="name")
        if len(value) > MAX_NAME:
            raise InvalidInput(N_("姓名过长。"), field="name")
        return value
    if key == "id_number":
        return check_resident_id(value, today=event.day)
    if key == "phone":
        return check_mobile(value) if value else ""
    if len(value) > MAX_TEXT:
        raise InvalidInput(N_("地址过长。"), field="address")
    return value


def _state_label(state: CaseState) -> str:
    return STATE_LABELS[state.state]


CORRECTION_STEPS = {ev.CORRECTED: corrected_step}
