"""Resident notifications: which event makes which stage, and the text sent for it.

Central enqueues a row in the notifications outbox in the same transaction as the event that makes
the stage (outbox pattern): a case is never held up by a slow or dead SMS gateway, and a stage is
never lost. The texts carry the case number and nothing else of the applicant; the phone number is
the row's destination and is never logged.

When PUBLIC_BASE_URL is set, the completion text carries a short link to the rating of the case
(``/r/<token>``, the public progress page's rating without typing the query code). Its token is made
here, with the row, and kept in ``rating_links`` in the same transaction.
"""

from __future__ import annotations

import secrets
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
EXTENDED = "extended"  # 延期办理 (an approved extension, 行政许可法 §42)
EXCLUDED = "excluded"  # 特别程序 (§45): the time it takes does not count
STAGES = (ACCEPTED, FORWARDED, RETURNED, DECIDED, READY, COMPLETED, EXTENDED, EXCLUDED)

STAGE_LABELS = {
    ACCEPTED: "已受理",
    FORWARDED: "已上报",
    RETURNED: "退回补正",
    DECIDED: "已审批",
    READY: "待领取",
    COMPLETED: "已办结",
    EXTENDED: "延期办理",
    EXCLUDED: "特别程序",
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
    EXTENDED: "您的办件 {n} 经负责人批准延期办理，新的办结期限见延期通知书，可向受理窗口领取。",
    EXCLUDED: "您的办件 {n} 进入特别程序（如听证、检验、鉴定），所需时间不计入办理时限，详见告知书。",
    # Short, to stay within one 70-character SMS segment with the signature and a short address.
    COMPLETED + ":link": "办件{n}已办结，请评价：{url}",
}
# The link token: 8 characters of letters and digits without the look-alikes (0/O, 1/l/I), about
# 2^46 values; the page behind it is rate-limited per address like the progress lookup.
LINK_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
LINK_TOKEN_LENGTH = 8


def new_link_token() -> str:
    """Return a fresh, unguessable token for a rating link."""
    return "".join(secrets.choice(LINK_ALPHABET) for _ in range(LINK_TOKEN_LENGTH))


def rating_url(base: str, token: str) -> str:
    """Return the address of a rating link under the public base address.

    Built from the setting, not with ``url_for``: the texts are made in ingest and the CLI too,
    outside any request. The path is the page's route, ``public.rating_link``.
    """
    return f"{base.rstrip('/')}/r/{token}"


def message_text(stage: str, case_number: str, *, outcome: str = "", link: str = "") -> str:
    """Return the text of a stage: the case number and nothing else of the applicant (and the
    rating link of a completion, when there is one)."""
    if stage == COMPLETED and link:
        return _TEXTS[COMPLETED + ":link"].format(n=case_number, url=link)
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
    ev.EXTENSION_DECIDED: (EXTENDED,),  # only an approval (``_stages``)
    ev.EXCLUDED_TIME_STARTED: (EXCLUDED,),
}


def _stages(state: CaseState, event_type: str) -> tuple[str, ...]:
    """Return the stages an applied event makes: a refused extension tells the applicant nothing."""
    if event_type == ev.EXTENSION_DECIDED:
        decided = [x for x in state.extensions if x["decision"] is not None]
        if not decided or not decided[-1]["decision"]["approved"]:
            return ()
    return STAGES_OF.get(event_type, ())


def contact_phone(state: CaseState) -> str | None:
    """Return the mobile number to notify: the applicant's, else the agent's; None if neither."""
    for person in (state.applicant, state.proxy or {}):
        try:
            return check_mobile(str(person.get("phone") or ""))
        except InvalidInput:
            continue
    return None


def rows_for(
    state: CaseState,
    event_type: str,
    at: str,
    *,
    feed_seq: int | None = None,
    link_base: str = "",
) -> list[dict[str, Any]]:
    """Return the outbox rows an applied event makes for its case (none without a mobile).

    With ``link_base`` (PUBLIC_BASE_URL) the completion row carries a rating link; its token is
    the row's ``link_token`` (None on every other row), which ``public_store.add_notifications``
    keeps in ``rating_links``."""
    stages = _stages(state, event_type)
    phone = contact_phone(state) if stages else None
    if phone is None:
        return []
    outcome = str((state.result or {}).get("outcome", ""))
    tokens = {
        stage: new_link_token() if stage == COMPLETED and link_base else None for stage in stages
    }
    return [
        {
            "case_id": state.case_id,
            "org_code": state.org_code,
            "case_number": state.case_number,
            "stage": stage,
            "phone": phone,
            "text": message_text(
                stage,
                state.case_number,
                outcome=outcome,
                link=rating_url(link_base, tokens[stage]) if tokens[stage] else "",
            ),
            # The decision is at the window only once the township has read it from the feed.
            "status": HELD if stage == READY else PENDING,
            "attempts": 0,
            "next_attempt_at": at,
            "feed_seq": feed_seq if stage == READY else None,
            "last_error": "",
            "created_at": at,
            "sent_at": None,
            "link_token": tokens[stage],
        }
        for stage in stages
    ]
