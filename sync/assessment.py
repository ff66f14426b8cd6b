"""Scoring the assessment (窗口单位百分达标考核): a scheme and one month's figures → points.

``score`` is pure: it takes a published scheme (``sync.assessment_scheme``) and the sums of one
unit's or one staff member's figures over a month (metric → value) and returns every indicator's
points with the figures behind them (numerator, denominator, value and why), and the total out of
100. Where the figures come from is the caller's business (``MonthFigures``): central reads its
kept tables, the township its own. A metric missing from the sums (as opposed to 0) is one the
caller cannot count yet, and an indicator that needs it is shown as "not counted" rather than
scored on a guess; the total then says how many points it leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sync.assessment_scheme import (
    DEDUCT,
    METRIC_LABELS,
    RATE,
    AssessmentScheme,
    Category,
    Indicator,
)
from sync.errors import N_

UNIT, STAFF = "unit", "staff"

WHY_RATE = N_(
    "%(value)s%%（%(numerator)s÷%(denominator)s）：%(zero)s%% 得 0 分，%(full)s%% 得满分，其间按比例计分。"
)
WHY_MEAN = N_(
    "%(value)s（%(numerator)s÷%(denominator)s）：%(zero)s 得 0 分，%(full)s 得满分，其间按比例计分。"
)
WHY_EMPTY_FULL = N_("本月无基数（%(denominator)s 为 0），按满分计。")
WHY_EMPTY_ZERO = N_("本月无基数（%(denominator)s 为 0），按 0 分计。")
WHY_DEDUCT = N_("%(count)s 次，每次扣 %(per)s 分，扣 %(deducted)s 分（最多扣 %(cap)s 分）。")
WHY_NOT_COUNTED = N_("尚未统计（缺少 %(metrics)s），不计分。")


class MonthFigures(Protocol):
    """What the assessment reads: the month's figure sums of units or staff members.

    ``sums(dimension, month, units)`` returns, for each key of ``dimension`` (``unit``: a
    division code; ``staff``: "unit/user name") with figures that month whose unit is among
    ``units`` (None: every unit), the sums by metric; a metric the source cannot count is absent
    from every key's sums.
    """

    def sums(
        self, dimension: str, month: str, units: Iterable[str] | None
    ) -> dict[str, dict[str, int]]: ...


@dataclass(frozen=True)
class IndicatorScore:
    """One indicator's points and the figures behind them."""

    category: str
    code: str
    name: str
    points: int  # the most it can give
    score: float | None  # None: not counted (a figure it needs is not counted yet)
    numerator: int | None
    denominator: int | None
    value: float | None  # the rate in percent, the mean, or the count deducted for
    why: str  # a message template (translated by the page) ...
    why_args: dict[str, Any] = field(default_factory=dict)  # ... and what fills it

    @property
    def explanation(self) -> str:
        """Return the filled Chinese explanation."""
        return self.why % self.why_args


@dataclass(frozen=True)
class Assessment:
    """One unit's or staff member's month: every indicator's points and the total."""

    scheme_version: str
    indicators: tuple[IndicatorScore, ...]

    @property
    def total(self) -> float:
        """Return the points of the counted indicators together (out of 100)."""
        return round(sum(i.score for i in self.indicators if i.score is not None), 2)

    @property
    def not_counted(self) -> int:
        """Return the points of the indicators that could not be counted."""
        return sum(i.points for i in self.indicators if i.score is None)

    def category_score(self, category: Category) -> float | None:
        """Return a category's points, or None when none of its indicators was counted."""
        scores = [
            i.score for i in self.indicators if i.category == category.code and i.score is not None
        ]
        return round(sum(scores), 2) if scores else None


def _named(metrics: Iterable[str], joiner: str = "、") -> str:
    # Chinese names in the explanation; the page shows it as is (a data-filled message).
    return joiner.join(METRIC_LABELS.get(m, m) for m in metrics)


def _sum(sums: Mapping[str, int], metrics: tuple[str, ...]) -> int:
    return sum(int(sums[m]) for m in metrics)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _linear(points: int, value: float, full: int, zero: int) -> float:
    share = (value - zero) / (full - zero)  # full > zero: higher is better; else lower is
    return round(points * min(1.0, max(0.0, share)), 2)


def score_indicator(category: str, indicator: Indicator, sums: Mapping[str, int]) -> IndicatorScore:
    """Score one indicator on a month's sums (metric → value)."""
    formula = indicator.formula
    base = {"category": category, "code": indicator.code, "name": indicator.name}
    points = indicator.points
    missing = [m for m in dict.fromkeys(formula.metrics) if m not in sums]
    if missing:
        return IndicatorScore(
            **base, points=points, score=None, numerator=None, denominator=None, value=None,
            why=WHY_NOT_COUNTED, why_args={"metrics": _named(missing)},
        )  # fmt: skip
    if formula.kind == DEDUCT:
        count = _sum(sums, formula.metric)
        deducted = min(formula.cap, formula.per * count)
        return IndicatorScore(
            **base, points=points, score=float(points - deducted), numerator=count,
            denominator=None, value=float(count), why=WHY_DEDUCT,
            why_args={"count": count, "per": formula.per, "deducted": deducted, "cap": formula.cap},
        )  # fmt: skip
    numerator, denominator = _sum(sums, formula.numerator), _sum(sums, formula.denominator)
    names = _named(formula.denominator, "＋")
    if denominator <= 0:
        empty_full = formula.empty == "full"
        return IndicatorScore(
            **base, points=points, score=float(points if empty_full else 0),
            numerator=numerator, denominator=denominator, value=None,
            why=WHY_EMPTY_FULL if empty_full else WHY_EMPTY_ZERO,
            why_args={"denominator": names},
        )  # fmt: skip
    value = numerator / denominator * (100 if formula.kind == RATE else 1)
    return IndicatorScore(
        **base, points=points, score=_linear(points, value, formula.full, formula.zero),
        numerator=numerator, denominator=denominator, value=round(value, 2),
        why=WHY_RATE if formula.kind == RATE else WHY_MEAN,
        why_args={
            "value": _number(round(value, 1)), "numerator": numerator,
            "denominator": denominator, "full": formula.full, "zero": formula.zero,
        },
    )  # fmt: skip


def score(scheme: AssessmentScheme, sums: Mapping[str, int]) -> Assessment:
    """Score a unit's or a staff member's month on a scheme: every indicator, with its figures."""
    return Assessment(
        scheme.version,
        tuple(
            score_indicator(category.code, indicator, sums)
            for category in scheme.categories
            for indicator in category.indicators
        ),
    )


@dataclass(frozen=True)
class Ranked:
    """One row of a month's ranking."""

    key: str
    assessment: Assessment
    place: int


def rank(scheme: AssessmentScheme, sums_by_key: Mapping[str, Mapping[str, int]]) -> list[Ranked]:
    """Score every key's month and rank them, highest total first (equal totals share a place)."""
    scored = sorted(
        ((key, score(scheme, sums)) for key, sums in sums_by_key.items()),
        key=lambda pair: (-pair[1].total, pair[0]),
    )
    ranked: list[Ranked] = []
    for number, (key, assessment) in enumerate(scored, start=1):
        tied = ranked and ranked[-1].assessment.total == assessment.total
        ranked.append(Ranked(key, assessment, ranked[-1].place if tied else number))
    return ranked
