"""The public progress of a case (办件进度查询): case number + query code → stages and dates.

What a resident sees is what the 五公开 practice makes public, and nothing personal: the item, the
stages with their dates and the units (never the staff) that acted, the outcome (a refusal's
reasons stay on the written notice, which may name people), the materials asked for, and the clock.
A wrong query code and an unknown case number get the same answer, so that neither can be told
from the other; the code is compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from central_api.stores import public_store
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.case_clock import case_deadline
from sync.clock_rules import EXCLUDED_KIND_LABELS
from sync.deadlines import WorkingCalendar
from sync.events import CHINA_TZ, parse_time
from sync.fold import STATE_LABELS, CaseState
from sync.labels import (
    ITEM_KIND_LABELS,
    OUTCOME_LABELS,
    PUBLIC_DELIVERY_LABELS,
    PUBLIC_LIGHT_LABELS,
)
from sync.rating_rules import open_steps

_NO_CODE = "\x00" * 6  # compared against when the case is unknown, so both take the same path


def clean_case_number(text: object) -> str:
    """Return a typed case number without spaces (empty if absent or too long)."""
    value = "".join(str(text or "").split())
    return value if len(value) <= 40 else ""


def clean_query_code(text: object) -> str:
    """Return a typed query code without spaces or hyphens, upper-cased."""
    value = "".join(str(text or "").split()).replace("-", "")
    # Counted before upper-casing, which lengthens a few letters ("ß" → "SS"): the limit is what
    # openapi.yaml states of the typed text.
    return value.upper() if len(value) <= 16 else ""


def matching_case(c: Connection, case_number: str, query_code: str) -> CaseState | None:
    """Return the case of this number whose query code is this one, else None: a wrong code and
    an unknown number take the same path and give the same answer."""
    state = public_store.case_by_number(c, case_number) if case_number else None
    if state is None and case_number and case_number != case_number.upper():
        # Typed on a phone: the device code of the number in lower case.
        state = public_store.case_by_number(c, case_number.upper())
    expected = state.query_code if state is not None else _NO_CODE
    matches = hmac.compare_digest(expected.encode(), query_code.encode())
    if state is None or not matches or not query_code:
        return None
    return state


def case_progress(
    store: CentralStore, case_number: str, query_code: str, now: datetime
) -> dict[str, Any] | None:
    """Return the public progress of a case, or None if the number and code do not match one."""
    with store.reading() as c:
        state = matching_case(c, case_number, query_code)
        if state is None:
            return None
        events = public_store.applied_events(c, state.case_id)
        codes = {state.org_code, state.holder_code}
        for e in events:
            codes.update(str(e["payload"][k]) for k in ("to_org", "by_org") if k in e["payload"])
        names = public_store.unit_names(c, codes)
        calendar = WorkingCalendar(public_store.calendar_overrides(c), provisional=True)
    return _public_view(state, events, names, calendar, now)


def _public_view(
    state: CaseState,
    events: list[dict[str, Any]],
    names: Mapping[str, str],
    calendar: WorkingCalendar,
    now: datetime,
) -> dict[str, Any]:
    def unit(code: object) -> dict[str, str] | None:
        if not code:
            return None
        return {"code": str(code), "name": names.get(str(code), str(code))}

    clock = None
    status = case_deadline(state, now.astimezone(CHINA_TZ).date(), calendar)
    if status is not None:
        clock = {
            "light": status.light,
            "light_label": PUBLIC_LIGHT_LABELS.get(status.light, status.light),
            "due_on": status.due_on.isoformat() if status.due_on else None,
            "days_left": status.days_left,
            "message": status.message,
            "provisional": status.provisional,
        }
    outcome = (state.result or {}).get("outcome")
    return {
        "case_number": state.case_number,
        "item": {
            "name": state.item["name"],
            "kind": state.item["kind"],
            "kind_label": ITEM_KIND_LABELS.get(state.item["kind"], ""),
            "promised_days": state.item["promised_days"],
        },
        "state": state.state,
        "state_label": STATE_LABELS[state.state],
        "accepting_unit": unit(state.org_code),
        "current_unit": unit(state.holder_code),
        "registered_at": state.registered_at,
        "accepted_on": state.accepted_on,
        "completed_on": state.completed_on,
        "outcome": outcome,
        "outcome_label": OUTCOME_LABELS.get(str(outcome), None) if outcome else None,
        "supplement": (
            {"materials": [str(m["name"]) for m in state.missing]} if state.missing else None
        ),
        "clock": clock,
        "timeline": [step for e in events if (step := _step(e, unit)) is not None],
        # The steps the resident may rate now (一事一评), as the fold says: the page offers them.
        "rating_steps": list(open_steps(state)),
    }


def _step(event: Mapping[str, Any], unit: Any) -> dict[str, Any] | None:
    """Return the public line of one event (None for an event the public does not see)."""
    kind, p = event["type"], event["payload"]
    step: dict[str, Any] = {"stage": kind, "at": event["at"], "unit": None, "materials": []}
    if kind == ev.REGISTERED:
        step["unit"] = unit(p.get("org_code"))
        village = p.get("channel") == "village"
        step["label"] = "经村代办点提交申请" if village else "窗口登记申请"
    elif kind in (ev.SUPPLEMENT_REQUESTED, ev.RETURNED):
        step["label"] = "上级部门退回补正" if kind == ev.RETURNED else "一次性告知补正材料"
        step["unit"] = unit(p.get("by_org")) if kind == ev.RETURNED else None
        step["materials"] = [str(m.get("name", "")) for m in p.get("missing", [])]
    elif kind == ev.SUPPLEMENT_RECEIVED:
        step["label"] = "补正材料已收到"
    elif kind == ev.REFUSED:
        step["label"] = "不予受理（理由见《不予受理通知书》）"
    elif kind == ev.ACCEPTED:
        step["label"] = "已受理，开始计时"
    elif kind == ev.FORWARDED:
        step["label"] = "初审完毕，上报审批"
        step["unit"] = unit(p.get("to_org"))
    elif kind == ev.DECIDED:
        refused = p.get("outcome") == "refused"
        step["label"] = "审批结果：不予批准（理由见书面决定书）" if refused else "审批结果：批准"
        step["unit"] = unit(p.get("by_org"))
    elif kind == ev.DELIVERED:
        step["label"] = (
            "结果已送达（" + PUBLIC_DELIVERY_LABELS.get(str(p.get("method")), "送达") + "）"
        )
    elif kind == ev.COMPLETED:
        refused = p.get("outcome") == "refused"
        step["label"] = "已办结：不予批准（理由见书面决定书）" if refused else "已办结"
    elif kind == ev.WITHDRAWN:
        step["label"] = "申请人已撤回申请"
    elif kind == ev.PETITIONED:
        step["label"] = "已登记复核申请" if p.get("kind") == "reexamination" else "已登记投诉"
    elif kind == ev.JOINT_REVIEW_OPENED:
        # The departments' opinions stay inside (the line never holds opinions): only the step.
        step["label"] = "多部门联审中（各部门同时审查）"
        step["unit"] = unit(p.get("by_org"))
    elif kind == ev.PETITION_ANSWERED:
        step["label"] = "复核申请或投诉已答复"
        step["unit"] = unit(p.get("by_org"))
    elif kind == ev.EXTENSION_DECIDED and p.get("approved") is True:
        # Only the approval concerns the resident (the request and a refusal move nothing).
        step["label"] = "经负责人批准延期办理（详见延期通知书）"
        step["unit"] = unit(p.get("by_org"))
    elif kind == ev.EXCLUDED_TIME_STARTED:
        label = EXCLUDED_KIND_LABELS.get(str(p.get("kind")), "特别程序")
        step["label"] = f"进入特别程序（{label}），所需时间不计入办理时限"
    elif kind == ev.EXCLUDED_TIME_ENDED:
        step["label"] = "特别程序结束，恢复计时"
    else:
        return None
    step["local_time"] = parse_time(event["at"]).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    return step
