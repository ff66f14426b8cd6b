"""The township's month sums for the assessment: its kept 好差评 figures and late 差评 tasks, never
cards (central's records), and the casework metrics once the ``case_figures`` table is kept."""

from __future__ import annotations

from datetime import date

from township_app.stores.assessment_figures import TownshipAssessmentFigures

UNIT = "370613004"


def test_the_township_counts_its_own_month_and_casework_once_it_is_kept(store) -> None:
    # As before the casework figures were kept (m013 makes the table): not counted, not 0.
    store.db.execute("DROP TABLE case_figures")
    store.figures.add_figures({("unit", UNIT, "2025-05", "ratings"): 5})
    store.figures.add_figures({("staff", f"{UNIT}/chuangkou", "2025-05", "ratings"): 5})
    figures = TownshipAssessmentFigures(store.db, date(2025, 6, 15))
    assert not figures.counts_casework()
    [unit] = figures.sums("unit", "2025-05", [UNIT]).values()
    assert unit["ratings"] == 5 and unit["rectifications_late"] == 0
    assert "red_cards" not in unit and "accepted" not in unit  # not counted here
    assert list(figures.sums("staff", "2025-05", [UNIT])) == [f"{UNIT}/chuangkou"]

    store.db.execute(
        "CREATE TABLE case_figures (dimension TEXT, key TEXT, day TEXT, metric TEXT, value INTEGER)"
    )
    store.db.execute(
        "INSERT INTO case_figures VALUES ('unit', ?, '2025-05-03', 'accepted', 2),"
        " ('unit', ?, '2025-06-01', 'accepted', 9)",
        [UNIT, UNIT],
    )
    assert figures.counts_casework()
    [unit] = figures.sums("unit", "2025-05", [UNIT]).values()
    assert unit["accepted"] == 2 and unit["refused"] == 0 and "red_cards" not in unit
