"""Ratings at the window (一事一评): the applicant rates a step of the case on the rating screen, or a
village agent records the rating for its agency point's case.

The rating is checked against the scale installed here (the built-in default until central publishes
one), then written through ``township_app.casework.case_log``, the one write path: the fold decides
whether the step may be rated now and only once, with its message, and the event is signed and goes
up with the next sync like every other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync import events as ev
from sync.errors import N_, InvalidInput
from sync.fold import CaseState
from sync.ids import check_mobile
from sync.rating_scale import RatingScale, check_rating
from township_app.casework.casework import Actor, record, visible_case
from township_app.roles import AGENT, require_permission
from township_app.stores.store import Store


@dataclass(frozen=True)
class RatingForm:
    """A rating as the resident gave it on the screen."""

    level: str
    reasons: tuple[str, ...] = ()
    comment: str = ""
    named: bool = False
    rater_name: str = ""
    rater_phone: str = ""


def rate_case(
    store: Store, case_id: str, step: str, form: RatingForm, actor: Actor, now: datetime
) -> CaseState:
    """Record the applicant's rating of one step of a case on the installed scale."""
    require_permission(actor.role, "rate")
    visible_case(store, case_id, actor)
    scale = store.rating_scale()
    level = scale.level(form.level)
    if level is None:
        raise InvalidInput(N_("请选择评价等级。"), field="level")
    phone = form.rater_phone.strip()
    if form.named and phone:
        phone = check_mobile(phone)  # the log keeps the bare 11 digits
    payload: dict[str, Any] = {
        "step": step,
        "scale_version": scale.version,
        "level": level.code,
        "bad": level.bad,
        # The reasons are asked of a 差评 only: ticks left from a level chosen before are dropped.
        "reasons": sorted(set(form.reasons)) if level.bad else [],
        "comment": form.comment.strip(),
        "channel": "agent" if actor.role == AGENT else "window",
        "named": form.named,
    }
    if form.named:
        payload["rater_name"] = form.rater_name.strip()
        payload["rater_phone"] = phone
    check_rating(scale, payload)
    return record(store, case_id, ev.RATED, payload, actor, now)


def rating_scales(store: Store, ratings: Iterable[Any]) -> dict[str, RatingScale]:
    """Return the scale of each version these ratings name (for their labels on a page)."""
    versions = {rating["scale_version"] for rating in ratings}
    return {version: store.rating_scale(version) for version in versions}
