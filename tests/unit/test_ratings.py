"""Ratings at the township (casework.ratings): on the installed scale, through the one write path."""

from __future__ import annotations

import pytest

from sync import events as ev
from sync.errors import InvalidInput, NotAllowed, NotFound
from sync.events import utc_now
from sync.rating_scale import WINDOW_2015
from tests.unit.test_casework import AGENT, CLERK, register
from township_app.casework import casework
from township_app.casework.ratings import RatingForm, rate_case
from township_app.stores.store import Store

ADMIN = casework.Actor("admin", "admin", "370613004")


def accepted(store: Store, actor: casework.Actor = CLERK) -> str:
    state = register(store, actor=actor)
    casework.accept_case(store, state.case_id, CLERK, utc_now())
    return state.case_id


def test_a_window_rating_is_an_event_of_this_device_going_up_with_the_next_sync(store: Store):
    case_id = accepted(store)
    state = rate_case(store, case_id, "acceptance", RatingForm("very_satisfied"), CLERK, utc_now())
    assert state.ratings[0]["channel"] == "window"
    event = store.case_events(case_id)[-1]
    assert event.type == ev.RATED and event.writer == store.device()["device_id"]
    assert store.device()["writer_seq"] == event.writer_seq  # in this PC's chain: it is packed


def test_the_reasons_of_a_good_level_are_dropped_and_a_phone_is_kept_bare(store: Store):
    case_id = accepted(store)
    form = RatingForm(
        "satisfied",
        reasons=("slow",),
        named=True,
        rater_name="王秀英",
        rater_phone="138 0013 8000",
    )
    (rating,) = rate_case(store, case_id, "acceptance", form, CLERK, utc_now()).ratings
    assert rating["reasons"] == [] and rating["rater_phone"] == "13800138000"


def test_the_window_rates_on_the_installed_four_level_scale(store: Store):
    store.install_rating_scale(WINDOW_2015, 2, published_at=None, at="2026-12-01T00:00:00.000Z")
    case_id = accepted(store)
    with pytest.raises(InvalidInput, match="请选择评价等级"):
        rate_case(store, case_id, "acceptance", RatingForm("very_satisfied"), CLERK, utc_now())
    form = RatingForm("dissatisfied", reasons=("attitude",))
    (rating,) = rate_case(store, case_id, "acceptance", form, CLERK, utc_now()).ratings
    assert (rating["scale_version"], rating["level"], rating["bad"]) == (
        "window-2015",
        "dissatisfied",
        True,
    )


def test_an_agent_records_a_rating_for_its_agency_points_case_only(store: Store):
    own = accepted(store, AGENT)
    (rating,) = rate_case(
        store, own, "acceptance", RatingForm("satisfied"), AGENT, utc_now()
    ).ratings
    assert rating["channel"] == "agent"
    window_case = accepted(store)
    with pytest.raises(NotFound):
        rate_case(store, window_case, "acceptance", RatingForm("satisfied"), AGENT, utc_now())


def test_an_admin_may_not_rate_and_nothing_is_written(store: Store):
    case_id = accepted(store)
    before = store.event_count()
    with pytest.raises(NotAllowed):
        rate_case(store, case_id, "acceptance", RatingForm("satisfied"), ADMIN, utc_now())
    assert store.event_count() == before
