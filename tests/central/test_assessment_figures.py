"""Central's month sums for the assessment (``AssessmentFigures``): the 好差评 figures of the month,
the cards not revoked by their China date, the late 差评 tasks, and, once the ``case_figures`` table
is kept (by the statistics work), the casework metrics summed over the month's days."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from central_api.stores.assessment_store import AssessmentFigures
from central_api.stores.figure_store import add_figures
from central_api.stores.store import CentralStore
from central_api.stores.supervision_store import SupervisionStore
from sync.assessment import score
from sync.assessment_scheme import DEFAULT_SCHEME

UNIT = "370613004"


def _card(store: CentralStore, colour: str, at: str, person: str | None = "wangfang") -> None:
    with store.transaction() as c:
        SupervisionStore(store).add_card(
            c,
            {"unit": UNIT, "person": person, "colour": colour, "reason": "超期",
             "issued_by": "jiancha", "issued_at": at},
            "jiancha",
        )  # fmt: skip


def test_the_month_sums_count_cards_by_china_date_and_casework_once_it_is_kept(
    central_store: CentralStore,
) -> None:
    with central_store.transaction() as c:
        add_figures(c, {("unit", UNIT, "2025-05", "completed"): 4})
        add_figures(c, {("unit", UNIT, "2025-04", "completed"): 9})  # another month
    _card(central_store, "red", "2025-04-30T17:00:00Z")  # 1 May 01:00 in China: May
    _card(central_store, "yellow", "2025-05-31T16:30:00Z")  # 1 June in China: not May
    _card(central_store, "yellow", "2025-05-10T02:00:00Z", person=None)  # the unit's only
    figures = AssessmentFigures(central_store, date(2025, 6, 15))
    # The casework figures are kept here (case_figures, migration 0011): counted, 0 while empty.
    assert figures.counts_casework()
    [unit] = figures.sums("unit", "2025-05", [UNIT]).values()
    assert (unit["completed"], unit["red_cards"], unit["yellow_cards"]) == (4, 1, 1)
    assert unit["accepted"] == 0
    staff = figures.sums("staff", "2025-05", [UNIT])
    assert staff[f"{UNIT}/wangfang"]["red_cards"] == 1
    assert staff[f"{UNIT}/wangfang"]["yellow_cards"] == 0
    assert figures.sums("unit", "2025-05", ["370602"]) == {}  # another county's scope

    # The statistics work keeps the casework per day (dimension, key, day, metric, value).
    with central_store.transaction() as c:
        c.execute(
            text("INSERT INTO case_figures VALUES (:d, :k, :day, :m, :v)"),
            [
                {"d": "unit", "k": UNIT, "day": "2025-05-01", "m": "accepted", "v": 3},
                {"d": "unit", "k": UNIT, "day": "2025-05-31", "m": "accepted", "v": 2},
                {"d": "unit", "k": UNIT, "day": "2025-06-01", "m": "accepted", "v": 7},
                {"d": "unit", "k": UNIT, "day": "2025-05-20", "m": "completed", "v": 4},
            ],
        )
    assert figures.counts_casework()
    [unit] = figures.sums("unit", "2025-05", [UNIT]).values()
    # May's days only; `completed` is rating_figures' (the same count, not added twice).
    assert (unit["accepted"], unit["completed"], unit["refused"]) == (5, 4, 0)
    completion = next(
        i for i in score(DEFAULT_SCHEME, unit).indicators if i.code == "completion_rate"
    )
    assert (completion.numerator, completion.denominator) == (4, 5)
