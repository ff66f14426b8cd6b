"""Ratings online (一事一评): a resident rates a step of the case on the public progress page (case
number + query code, channel ``online``) or through the completion SMS's link (channel ``sms``).

The case is found as the progress page finds it: a wrong query code and an unknown number get the
same ``NotFound`` and nothing is written. The rating is checked against the scale central published
last (the built-in default until one is published, as at the window), then written through
``central_log.write_event``, central's one write path: the fold decides whether the step may be
rated now and only once, with its message; the event goes down to the township in the feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from central_api.review import progress
from central_api.review.central_log import write_event
from central_api.stores import public_store
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.case_state import CENTRAL_RATING_CHANNELS
from sync.errors import N_, InvalidInput, NotFound
from sync.events import Event
from sync.fold import CaseState
from sync.ids import check_mobile
from sync.rating_scale import DEFAULT_SCALE, RatingScale, check_rating
from sync.signing import SigningKey

PUBLIC_ACTOR = "public"  # the actor of a resident's online rating: no staff member acted
NOT_FOUND = N_("没有找到与该办件编号和查询码相符的办件，请核对回执上的办件编号和查询码后重试。")
LINK_NOT_FOUND = N_(
    "评价链接无效，请核对短信中的链接，或凭受理回执上的办件编号和查询码查询并评价。"
)


@dataclass(frozen=True)
class RatingForm:
    """A rating as the resident gave it online."""

    level: str
    reasons: tuple[str, ...] = ()
    comment: str = ""
    named: bool = False
    rater_name: str = ""
    rater_phone: str = ""


def rating_scale(store: CentralStore) -> RatingScale:
    """Return the scale residents rate on: the one published last, else the built-in default."""
    with store.reading() as c:
        return store.newest_rating_scale(c) or DEFAULT_SCALE


def rating_payload(scale: RatingScale, step: str, form: RatingForm, channel: str) -> dict[str, Any]:
    """Return the `rated` payload of a resident's form on this scale, or refuse a level, reason
    or phone the scale or the rules do not know (the fold checks the rest)."""
    if not form.level:
        raise InvalidInput(N_("请选择评价等级。"), field="level")
    level = scale.level(form.level)
    payload: dict[str, Any] = {
        "step": step,
        "scale_version": scale.version,
        "level": form.level,
        "bad": level.bad if level is not None else False,
        "reasons": sorted(set(form.reasons)),
        "comment": form.comment.strip(),
        "channel": channel,
        "named": form.named,
    }
    # The level and every ticked reason are checked against the scale, even reasons that a good
    # level then drops: an unknown code is a forged form and gets its message.
    check_rating(scale, payload)
    if level is not None and not level.bad:
        payload["reasons"] = []  # reasons are asked of a 差评 only: ticks left over are dropped
    if form.named:
        phone = form.rater_phone.strip()
        payload["rater_name"] = form.rater_name.strip()
        payload["rater_phone"] = check_mobile(phone) if phone else ""  # the log keeps 11 digits
    return payload


def rate_online(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    query_code: str,
    step: str,
    form: RatingForm,
    channel: str,
    now: datetime,
) -> Event:
    """Record a resident's rating of a step of the case with this number and query code."""
    if channel not in CENTRAL_RATING_CHANNELS:
        raise InvalidInput(N_("评价渠道不正确。"), field="channel")
    with store.reading() as c:
        state = progress.matching_case(c, case_number, query_code)
        scale = store.newest_rating_scale(c) or DEFAULT_SCALE
    if state is None:
        raise NotFound(NOT_FOUND)
    payload = rating_payload(scale, step, form, channel)
    case_id = state.case_id

    def check(current: CaseState) -> None:
        # The same case as the one the code matched (a number names one case for ever).
        if current.case_id != case_id:
            raise NotFound(NOT_FOUND)

    return write_event(
        store, central_key, state.case_number, ev.RATED, payload, PUBLIC_ACTOR, now, check
    )


def case_of_link(store: CentralStore, token: str) -> CaseState | None:
    """Return the case a rating link stands for, or None for an unknown token."""
    with store.reading() as c:
        return public_store.case_by_rating_link(c, token)


def rate_by_link(
    store: CentralStore,
    central_key: SigningKey,
    token: str,
    step: str,
    form: RatingForm,
    now: datetime,
) -> Event:
    """Record a resident's rating through the completion SMS's link (channel ``sms``)."""
    state = case_of_link(store, token)
    if state is None:
        raise NotFound(LINK_NOT_FOUND)
    return rate_online(
        store, central_key, state.case_number, state.query_code, step, form, "sms", now
    )
