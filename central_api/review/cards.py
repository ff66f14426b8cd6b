"""Yellow and red cards (黄牌/红牌): issued by a supervisor with a reason (the rules issue red cards
themselves, ``central_api.review.supervision``), appealed by a reviewer of the carded unit's county
or city, revoked or upheld by a supervisor over the unit. Every step names who, when and why, and
every refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from central_api.stores.review_store import ReviewStore
from central_api.stores.store import CentralStore
from central_api.stores.supervision_store import (
    APPEALED,
    ISSUED,
    REVOKED,
    UPHELD,
    SupervisionStore,
)
from sync.errors import N_, InvalidInput, NotAllowed, NotFound
from sync.events import format_time

COLOURS = ("yellow", "red")
COLOUR_LABELS = {"yellow": N_("黄牌"), "red": N_("红牌")}
STATE_LABELS = {
    ISSUED: N_("已出示"),
    APPEALED: N_("申诉中"),
    REVOKED: N_("已撤销"),
    UPHELD: N_("维持"),
}
ACTION_LABELS = {
    "issued": N_("出示"),
    "appealed": N_("申诉"),
    "revoked": N_("撤销"),
    "upheld": N_("维持"),
}
MAX_REASON = 500
NO_CARD = N_("没有找到这张黄牌或红牌，或它不属于您所辖的单位。")


def _reason(text: str, message: str) -> str:
    reason = text.strip()
    if not reason:
        raise InvalidInput(message, field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            N_("理由最多 %(most)s 个字，现有 %(count)s 个字。"),
            field="reason",
            most=MAX_REASON,
            count=len(reason),
        )
    return reason


def issue_card(
    store: CentralStore,
    *,
    unit: str,
    colour: str,
    reason: str,
    units: frozenset[str],
    actor: str,
    now: datetime,
    person: str = "",
    case_number: str = "",
) -> int:
    """Issue a card by hand against a unit under the supervisor's (and a person, or a case)."""
    if colour not in COLOURS:
        raise InvalidInput(N_("请选择黄牌或红牌。"), field="colour")
    text = _reason(reason, N_("出示黄牌或红牌必须说明理由。"))
    unit = unit.strip()
    if not unit:
        raise InvalidInput(N_("请选择单位。"), field="unit")
    if unit not in units:
        raise NotAllowed(N_("只能对本单位及下辖单位出示黄牌或红牌。"))
    values = {
        "unit": unit,
        "person": person.strip()[:32] or None,
        "case_id": None,
        "case_number": None,
        "stage": None,
        "colour": colour,
        "reason": text,
        "issued_by": actor[:32],
        "issued_at": format_time(now),
        "warning_id": None,
    }
    if case_number.strip():
        state = ReviewStore(store).case(case_number.strip()[:40])
        if state is None or state.org_code not in units:
            raise NotAllowed(N_("没有找到该办件，或该办件不属于您所辖的单位。"))
        values["case_id"], values["case_number"] = state.case_id, state.case_number
    with store.transaction() as c:
        card_id = SupervisionStore(store).add_card(c, values, actor)
    assert card_id is not None  # a card by hand names no warning, so it is always new
    return card_id


def _step(
    store: CentralStore,
    card_id: int,
    units: frozenset[str],
    action: str,
    following: str,
    allowed: Callable[[str], str | None],
    reason: str,
    missing: str,
    actor: str,
    now: datetime,
) -> None:
    text = _reason(reason, missing)
    sup = SupervisionStore(store)
    with store.transaction() as c:
        card = sup.card(c, card_id, lock=True)
        if card is None or card["unit"] not in units:
            raise NotFound(NO_CARD)
        refusal = allowed(card["state"])
        if refusal is not None:
            raise NotAllowed(refusal, state=STATE_LABELS[card["state"]])
        sup.set_card_state(c, card_id, following)
        sup.add_step(c, card_id, action, actor, format_time(now), text)


def appeal_card(
    store: CentralStore,
    card_id: int,
    *,
    reason: str,
    units: frozenset[str],
    actor: str,
    now: datetime,
) -> None:
    """Appeal a card issued against a unit under the reviewer's; the reason is required."""

    def allowed(state: str) -> str | None:
        return None if state == ISSUED else N_("这张牌当前「%(state)s」，不能再申诉。")

    _step(
        store, card_id, units, "appealed", APPEALED, allowed, reason,
        N_("申诉必须说明理由。"), actor, now,
    )  # fmt: skip


def revoke_card(
    store: CentralStore,
    card_id: int,
    *,
    reason: str,
    units: frozenset[str],
    actor: str,
    now: datetime,
) -> None:
    """Revoke a card (issued or appealed) against a unit under the supervisor's, with a reason."""

    def allowed(state: str) -> str | None:
        return None if state in (ISSUED, APPEALED) else N_("这张牌当前「%(state)s」，不能撤销。")

    _step(
        store, card_id, units, "revoked", REVOKED, allowed, reason,
        N_("撤销必须说明理由。"), actor, now,
    )  # fmt: skip


def uphold_card(
    store: CentralStore,
    card_id: int,
    *,
    reason: str,
    units: frozenset[str],
    actor: str,
    now: datetime,
) -> None:
    """Uphold an appealed card, with a reason (the appeal is answered)."""

    def allowed(state: str) -> str | None:
        return (
            None if state == APPEALED else N_("这张牌当前「%(state)s」，只有申诉中的牌才能维持。")
        )

    _step(
        store, card_id, units, "upheld", UPHELD, allowed, reason,
        N_("维持原牌必须说明理由。"), actor, now,
    )  # fmt: skip
