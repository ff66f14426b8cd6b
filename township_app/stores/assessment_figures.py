"""SQL of the assessment at the township: one month's figure sums of its own unit and staff, the
reading interface ``sync.assessment.MonthFigures`` over what this PC keeps, offline.

- the 好差评 figures (``rating_figures``): always;
- the casework figures (``case_figures``, per day): summed over the month when that table exists;
  until it does, their metrics are absent and those indicators show "not counted";
- late 差评 tasks (``rectification_tasks``): opened in the month, answered after their due day or
  still open past it;
- cards are records of central (issued and revoked there): never counted here, so the discipline
  indicators show "not counted" at the township and are scored at central.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from sqlite_utils import Database

from sync import case_figures, rating_figures
from sync.assessment import STAFF, UNIT

CASE_FIGURES = "case_figures"


def _month_days(month: str) -> tuple[str, str]:
    year, number = int(month[:4]), int(month[5:7])
    return f"{month}-01", f"{month}-{calendar.monthrange(year, number)[1]:02d}"


class TownshipAssessmentFigures:
    """The township's month sums for the assessment (``sync.assessment.MonthFigures``)."""

    def __init__(self, db: Database, today: date) -> None:
        self.db = db
        self.today = today

    def counts_casework(self) -> bool:
        """Tell whether the casework figures are kept here yet (the ``case_figures`` table)."""
        return self.db[CASE_FIGURES].exists()

    def sums(
        self, dimension: str, month: str, units: Iterable[str] | None
    ) -> dict[str, dict[str, int]]:
        """Return each key's sums by metric for the month, of this PC's units (``units``)."""
        scope = None if units is None else frozenset(units)
        first, last = _month_days(month)
        found: dict[str, dict[str, int]] = {}

        def add(key: str, metric: str, value: int) -> None:
            unit = key.split("/", 1)[0] if dimension == STAFF else key
            if key and (scope is None or unit in scope):
                found.setdefault(key, {})
                found[key][metric] = found[key].get(metric, 0) + int(value)

        rows = self.db.execute(
            "SELECT key, metric, SUM(value) FROM rating_figures WHERE dimension = ? AND month = ?"
            " GROUP BY key, metric",
            [dimension, month],
        )
        for key, metric, value in rows:
            add(key, metric, value)
        casework = self.counts_casework()
        if casework:
            rows = self.db.execute(
                "SELECT key, metric, SUM(value) FROM case_figures WHERE dimension = ?"
                " AND day BETWEEN ? AND ? GROUP BY key, metric",
                [dimension, first, last],
            )
            for key, metric, value in rows:
                if metric != "completed":  # the same count as rating_figures' (both kept)
                    add(key, metric, value)
        column = "unit" if dimension == UNIT else "staff"
        rows = self.db.execute(
            f"SELECT {column}, COUNT(*) FROM rectification_tasks"
            " WHERE opened_on BETWEEN ? AND ?"
            " AND ((answered_on IS NULL AND due_on < ?) OR answered_on > due_on)"
            f" GROUP BY {column}",
            [first, last, self.today.isoformat()],
        )
        for key, count in rows:
            add(key, "rectifications_late", count)
        metrics = rating_figures.METRICS + ("rectifications_late",)
        if casework:
            metrics += case_figures.METRICS
        return {key: {**dict.fromkeys(metrics, 0), **sums} for key, sums in found.items()}
