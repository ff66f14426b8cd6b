"""Resident notifications: which event makes which stage, and the text sent for it.

Central enqueues a row in the notifications outbox in the same transaction as the event that makes
the stage (outbox pattern): a case is never held up by a slow or dead SMS gateway, and a stage is
never lost. The texts carry the case number and nothing else of the applicant; the phone number is
the row's destination and is never logged.
"""

from __future__ import annotations

from typing import Any

from sync import events as ev
from sync.errors import InvalidInput
from sync.fold import CaseState
from sync.ids import check_mobile

ACCEPTED = "accepted"  # 已受理
FORWARDED = "forwarded"  # 已上报上级审批
RETURNED = "returned"  # 上级退回补正
DECIDED = "decided"  # 已审批
READY = "ready"  # 审批结果已到受理窗口，待领取
COMPLETED = "completed"  # 已办结
STAGES = (ACCEPTED, FORWARDED, RETURNED, DECIDED, READY, COMPLETED)

STAGE_LABELS = {
    ACCEPTED: "已受理",
    FORWARDED: "已上报",
    RETURNED: "退回补正",
    DECIDED: "已审批",
    READY: "待领取",
    COMPLETED: "已办结",
}

# Row states: ``held`` waits for the township to have the decision (then ``pending``); ``pending``
# waits for its next attempt; ``sent`` and ``failed`` are final.
HELD, PENDING, SENT, FAILED = "held", "pending", "sent", "failed"

_TEXTS = {
    ACCEPTED: "您的办件 {n} 已受理。可凭受理回执上的办件编号和查询码查询办理进度。",
    FORWARDED: "您的办件 {n} 已受理并完成初审，上报上级部门审批。",
    RETURNED: "您的办件 {n} 经上级部门审查需要补正材料，请与受理窗口联系。",
    DECIDED + ":approved": "您的办件 {n} 已审批通过，结果送达受理窗口后将通知您领取。",
    DECIDED + ":refused": "您的办件 {n} 审批结果为不予批准，理由见书面决定书，"
    "决定书送达受理窗口后将通知您领取。",
    READY: "您的办件 {n} 的审批结果已送达受理窗口，请携带受理回执和身份证件前往领取。",
    COMPLETED: "您的办件 {n} 已办结。欢迎对本次服务作出评价。",
}


def message_text(stage: str, case_number: str, *, outcome: str = "") -> str:
    """Return the text of a stage: the case number and nothing else of the applicant."""
    template = _TEXTS.get(f"{stage}:{outcome}") or _TEXTS[stage]
    return template.format(n=case_number)


def signed_text(text: str, signature: str) -> str:
    """Put the sender's signature (短信签名) before a text, as SMS gateways in China require."""
    return f"【{signature}】{text}" if signature else text


# The stages an applied event makes; other event types make none.
STAGES_OF = {
    ev.ACCEPTED: (ACCEPTED,),
    ev.FORWARDED: (FORWARDED,),
    ev.RETURNED: (RETURNED,),
    ev.DECIDED: (DECIDED, READY),
    ev.COMPLETED: (COMPLETED,),
}


def contact_phone(state: CaseState) -> str | None:
    """Return the mobile number to notify: the applicant's, else the agent's; None if neither."""
    for person in (state.applicant, state.proxy or {}):
        try:
            return check_mobile(str(person.get("phone") or ""))
        except InvalidInput:
            continue
    return None


def rows_for(
    state: CaseState, event_type: str, at: str, *, feed_seq: int | None = None
) -> list[dict[str, Any]]:
    """Return the outbox rows an applied event makes for its case (none without a mobile)."""
    stages = STAGES_OF.get(event_type, ())
    phone = contact_phone(state) if stages else None
    if phone is None:
        return []
    outcome = str((state.result or {}).get("outcome", ""))
    return [
        {
            "case_id": state.case_id,
            "org_code": state.org_code,
            "case_number": state.case_number,
            "stage": stage,
            "phone": phone,
            "text": message_text(stage, state.case_number, outcome=outcome),
            # The decision is at the window only once the township has read it from the feed.
            "status": HELD if stage == READY else PENDING,
            "attempts": 0,
            "next_attempt_at": at,
            "feed_seq": feed_seq if stage == READY else None,
            "last_error": "",
            "created_at": at,
            "sent_at": None,
        }
        for stage in stages
    ]


def mask_phone(phone: str) -> str:
    """Return a phone number with its middle four digits hidden (for listings)."""
    return phone[:3] + "****" + phone[7:] if len(phone) == 11 else "****"
