"""The 差评 loop at central: a supervisor reviews a rectification, a county or city unit verifies,
rectifies and answers a 差评 of a case it decided, and the callers record callbacks.

Each writes through ``central_api.review.central_log``, central's one write path. The checks here
are only who may act on which task (scope); the order of the stages and the required texts are the
fold's (``sync.rectification_rules``), which refuses in the same transaction and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from central_api.review.central_log import write_event
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.errors import N_, InvalidInput, NotAllowed
from sync.events import Event
from sync.fold import CaseState
from sync.signing import SigningKey

NOT_YOURS = N_("没有找到该办件，或该办件不属于您所在单位办理。")
NO_TASK = N_("该办件没有这条差评。")
OTHER_UNIT = N_("这条差评由 %(unit)s 核实整改，本单位不能代为登记。")


def _task(state: CaseState, rating_id: str) -> Mapping[str, Any]:
    task = state.rectification(rating_id)
    if task is None:
        raise InvalidInput(NO_TASK, field="rating_id")
    return task


def _task_under(rating_id: str, units: frozenset[str]) -> Callable[[CaseState], None]:
    """Return the check that the task's unit lies under the supervisor's unit."""

    def check(state: CaseState) -> None:
        if _task(state, rating_id)["unit"] not in units:
            raise NotAllowed(NOT_YOURS)

    return check


def _task_of_unit(rating_id: str, by_org: str) -> Callable[[CaseState], None]:
    """Return the check that the task is the acting unit's own."""

    def check(state: CaseState) -> None:
        unit = _task(state, rating_id)["unit"]
        if unit != by_org:
            raise NotAllowed(OTHER_UNIT, unit=unit)

    return check


def review_rectification(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    rating_id: str,
    confirmed: bool,
    text: str,
    by_org: str,
    units: frozenset[str],
    actor: str,
    now: datetime,
) -> Event:
    """Confirm a unit's rectification of a 差评 under ``by_org``, or send it back (reason required)."""
    payload = {
        "rating_id": rating_id,
        "confirmed": confirmed,
        "text": text.strip(),
        "by_org": by_org,
    }
    check = _task_under(rating_id, units)
    return write_event(
        store, central_key, case_number, ev.RECTIFICATION_REVIEWED, payload, actor, now, check
    )


# The unit's own steps: (event type, the payload's keys beside rating_id and text)
UNIT_STEPS = {
    "verify": ev.RECTIFICATION_VERIFIED,
    "rectify": ev.RECTIFIED,
    "answer": ev.RECTIFICATION_ANSWERED,
}


def unit_step(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    step: str,
    *,
    rating_id: str,
    text: str,
    by_org: str,
    actor: str,
    now: datetime,
    upheld: bool | None = None,
    method: str = "",
) -> Event:
    """Record a county's or city's step on a 差评 of a case it decided: verify, rectify (upheld or
    not) or answer (how the applicant was told)."""
    payload: dict[str, object] = {"rating_id": rating_id, "text": text.strip()}
    if step == "rectify":
        payload["upheld"] = upheld
    elif step == "answer":
        payload["method"] = method
    elif step != "verify":
        raise InvalidInput(N_("没有这个整改环节。"), field="step")
    check = _task_of_unit(rating_id, by_org)
    return write_event(
        store, central_key, case_number, UNIT_STEPS[step], payload, actor, now, check
    )


def record_callback(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    *,
    rating_id: str,
    reached: bool,
    satisfied: bool | None,
    note: str,
    units: frozenset[str],
    actor: str,
    now: datetime,
) -> Event:
    """Record one callback attempt: of a 差评 (``rating_id``) whose unit lies under the caller's,
    or (no ``rating_id``) of a sampled completed case of a unit under the caller's."""
    payload: dict[str, object] = {
        "purpose": "rectification" if rating_id else "sample",
        "reached": reached,
        "satisfied": satisfied if reached else None,
        "note": note.strip(),
    }
    if rating_id:
        payload["rating_id"] = rating_id
        check = _task_under(rating_id, units)
    else:

        def check(state: CaseState) -> None:
            if state.org_code not in units:
                raise NotAllowed(NOT_YOURS)

    return write_event(store, central_key, case_number, ev.CALLED_BACK, payload, actor, now, check)
