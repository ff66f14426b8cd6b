"""The assessment scheme (窗口单位百分达标考核): categories and indicators, their points and formulas.

A scheme is data that central publishes in the feed, like the rating scale: a version, categories
whose weights sum to 100, and in each category indicators whose points sum to its weight. Every
indicator's formula comes from a small fixed vocabulary over the month's figures of a unit or a
staff member (``METRICS``):

- ``rate``: numerator ÷ denominator as a percentage, scored linearly between ``zero`` (0 points)
  and ``full`` (all points); ``full`` below ``zero`` means lower is better (补正率);
- ``mean``: numerator ÷ denominator (e.g. working days used per completed case), scored the same;
- ``deduct``: all points, less ``per`` points for each count of the metrics, at most ``cap``.

A rate or mean with no base (nothing completed, nothing rated) scores ``empty``: ``full`` (nothing
to hold against the unit) or ``zero``. Thresholds are whole numbers, since a signed payload carries
no floats. Central checks a scheme before it publishes it and the township again before it installs
it (``parse_scheme``); scoring is ``sync.assessment``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync import case_figures, rating_figures
from sync.errors import N_, InvalidInput

# The supervision records counted per month beside the kept figures: cards issued that month and
# not revoked, and 差评 tasks opened that month answered after their due day or still open past it.
SUPERVISION_METRICS = ("red_cards", "yellow_cards", "rectifications_late")
METRICS = tuple(dict.fromkeys(case_figures.METRICS + rating_figures.METRICS + SUPERVISION_METRICS))
# What each metric counts, as the pages name it (the user guide explains each).
METRIC_LABELS = {
    "received": N_("收件数"),
    "accepted": N_("受理数"),
    "refused": N_("不予受理数"),
    "withdrawn": N_("撤回数"),
    "completed": N_("办结数"),
    "completed_immediate": N_("即办件办结数"),
    "completed_on_time": N_("按时办结数"),
    "completed_late": N_("超期办结数"),
    "completed_timed": N_("计时办结数"),
    "days_used": N_("办理用时（工作日）合计"),
    "supplemented": N_("补正办结数"),
    "complaints": N_("投诉数"),
    "reexaminations": N_("复核申请数"),
    "petitions_answered": N_("复核投诉答复数"),
    "rated": N_("已评价办结数"),
    "ratings": N_("评价数"),
    "satisfied": N_("满意评价数"),
    "bad": N_("差评数"),
    "tasks": N_("差评整改数"),
    "answered": N_("差评已反馈数"),
    "answered_on_time": N_("差评按时反馈数"),
    "callbacks_due": N_("应回访数"),
    "called_back": N_("已回访数"),
    "red_cards": N_("红牌数"),
    "yellow_cards": N_("黄牌数"),
    "rectifications_late": N_("差评超期整改数"),
}
RATE, MEAN, DEDUCT = "rate", "mean", "deduct"
KINDS = (RATE, MEAN, DEDUCT)
TOTAL = 100
MAX_VERSION = 40
MAX_NAME = 40
MAX_CATEGORIES = 12
MAX_INDICATORS = 60
_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")


class BadScheme(InvalidInput):
    """A scheme breaks a rule; the message names the category or indicator and what is wrong."""

    code = "invalid_assessment_scheme"


@dataclass(frozen=True)
class Formula:
    """How an indicator turns figures into points (see the module's vocabulary)."""

    kind: str
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    full: int = 0
    zero: int = 0
    empty: str = "full"
    metric: tuple[str, ...] = ()
    per: int = 0
    cap: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the formula as the scheme's JSON carries it."""
        if self.kind == DEDUCT:
            return {"kind": DEDUCT, "metric": list(self.metric), "per": self.per, "cap": self.cap}
        return {
            "kind": self.kind,
            "numerator": list(self.numerator),
            "denominator": list(self.denominator),
            "full": self.full,
            "zero": self.zero,
            "empty": self.empty,
        }

    @property
    def metrics(self) -> tuple[str, ...]:
        """Return every metric the formula reads."""
        return self.numerator + self.denominator + self.metric


@dataclass(frozen=True)
class Indicator:
    """One scored indicator: its code, name, points and formula."""

    code: str
    name: str
    points: int
    formula: Formula


@dataclass(frozen=True)
class Category:
    """One category of the scheme: its weight is the sum of its indicators' points."""

    code: str
    name: str
    weight: int
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class AssessmentScheme:
    """A published scheme: a version, a name and its categories (weights summing to 100)."""

    version: str
    name: str
    categories: tuple[Category, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the scheme as the JSON body central publishes and the township keeps."""
        return {
            "version": self.version,
            "name": self.name,
            "categories": [
                {
                    "code": c.code,
                    "name": c.name,
                    "weight": c.weight,
                    "indicators": [
                        {
                            "code": i.code,
                            "name": i.name,
                            "points": i.points,
                            "formula": i.formula.to_dict(),
                        }
                        for i in c.indicators
                    ],
                }
                for c in self.categories
            ],
        }


def _whole(value: Any, least: int, most: int, what: str, field: str) -> int:
    if value.__class__ is not int or not least <= value <= most:
        raise InvalidInput(
            N_("%(what)s须为 %(least)s 至 %(most)s 之间的整数。"),
            field=field,
            what=what,
            least=least,
            most=most,
        )
    return value


def _code(raw: Mapping[str, Any]) -> str:
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidInput(
            N_("编码须为小写字母开头的字母、数字或下划线，最多 32 个字符。"), field="code"
        )
    return code


def _name(raw: Mapping[str, Any]) -> str:
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise InvalidInput(N_("名称不能为空，最多 %(most)s 个字。"), field="name", most=MAX_NAME)
    return name.strip()


def _metrics(raw: Any, field: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or len(raw) > 5:
        raise InvalidInput(N_("%(name)s 须列出 1 至 5 个统计项。"), field=field, name=field)
    for metric in raw:
        if metric not in METRICS:
            raise InvalidInput(
                N_("统计项 %(metric)s 不在可用的统计项中。"), field=field, metric=str(metric)[:40]
            )
    return tuple(raw)


def _formula(raw: Any, points: int) -> Formula:
    if not isinstance(raw, Mapping):
        raise InvalidInput(N_("须写明计分公式（formula）。"), field="formula")
    kind = raw.get("kind")
    if kind == DEDUCT:
        cap = raw.get("cap", points)
        return Formula(
            DEDUCT,
            metric=_metrics(raw.get("metric"), "metric"),
            per=_whole(raw.get("per"), 1, 100, N_("每次扣分（per）"), "per"),
            cap=_whole(cap, 1, points, N_("扣分上限（cap）"), "cap"),
        )
    if kind in (RATE, MEAN):
        most = 100 if kind == RATE else 1000
        full = _whole(raw.get("full"), 0, most, N_("满分线（full）"), "full")
        zero = _whole(raw.get("zero"), 0, most, N_("零分线（zero）"), "zero")
        if full == zero:
            raise InvalidInput(N_("满分线与零分线不能相同。"), field="full")
        empty = raw.get("empty", "full")
        if empty not in ("full", "zero"):
            raise InvalidInput(N_("无数据时的计分（empty）须为 full 或 zero。"), field="empty")
        return Formula(
            kind,
            numerator=_metrics(raw.get("numerator"), "numerator"),
            denominator=_metrics(raw.get("denominator"), "denominator"),
            full=full,
            zero=zero,
            empty=empty,
        )
    raise InvalidInput(N_("计分公式的类型须为 rate、mean 或 deduct。"), field="kind")


def _indicator(raw: Any) -> Indicator:
    if not isinstance(raw, Mapping):
        raise InvalidInput(N_("格式不正确。"), field="indicator")
    points = _whole(raw.get("points"), 1, TOTAL, N_("分值（points）"), "points")
    return Indicator(_code(raw), _name(raw), points, _formula(raw.get("formula"), points))


_WHERE_CATEGORY = N_("考核方案第 %(number)s 类：%(reason)s")
_WHERE_INDICATOR = N_("考核方案第 %(number)s 类第 %(index)s 项指标：%(reason)s")


def _category(raw: Any, number: int, seen: set[str]) -> Category:
    try:
        if not isinstance(raw, Mapping):
            raise InvalidInput(N_("格式不正确。"), field="category")
        code, name = _code(raw), _name(raw)
        weight = _whole(raw.get("weight"), 1, TOTAL, N_("权重（weight）"), "weight")
        listed = raw.get("indicators")
        if not isinstance(listed, list) or not listed:
            raise InvalidInput(N_("每类须列出至少一项指标（indicators）。"), field="indicators")
    except InvalidInput as error:
        raise BadScheme(
            _WHERE_CATEGORY, field=error.field, number=number, reason=error.message
        ) from None
    indicators = []
    for index, entry in enumerate(listed, start=1):
        try:
            indicator = _indicator(entry)
            if indicator.code in seen:
                raise InvalidInput(N_("编码 %(code)s 重复。"), field="code", code=indicator.code)
        except InvalidInput as error:
            raise BadScheme(
                _WHERE_INDICATOR, field=error.field, number=number, index=index,
                reason=error.message,
            ) from None  # fmt: skip
        seen.add(indicator.code)
        indicators.append(indicator)
    total = sum(i.points for i in indicators)
    if total != weight:
        raise BadScheme(
            N_(
                "考核方案第 %(number)s 类（%(name)s）的指标分值合计 %(total)s，与权重 %(weight)s 不符。"
            ),
            field="weight",
            number=number,
            name=name,
            total=total,
            weight=weight,
        )
    return Category(code, name, weight, tuple(indicators))


def parse_scheme(raw: Any) -> AssessmentScheme:
    """Return the scheme a published body describes, or refuse it with a message naming the fault."""
    if not isinstance(raw, Mapping):
        raise BadScheme(N_("考核方案格式不正确。"), field="scheme")
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > MAX_VERSION:
        raise BadScheme(
            N_("考核方案须有版本号（version），最多 %(most)s 个字符。"),
            field="version",
            most=MAX_VERSION,
        )
    name = raw.get("name", "")
    if not isinstance(name, str) or len(name) > 80:
        raise BadScheme(N_("考核方案的名称不正确（最多 80 个字）。"), field="name")
    listed = raw.get("categories")
    if not isinstance(listed, list) or not 1 <= len(listed) <= MAX_CATEGORIES:
        raise BadScheme(
            N_("考核方案须列出 1 至 %(most)s 个考核类别（categories）。"),
            field="categories",
            most=MAX_CATEGORIES,
        )
    seen: set[str] = set()
    categories: list[Category] = []
    for number, entry in enumerate(listed, start=1):
        category = _category(entry, number, seen)
        if any(c.code == category.code for c in categories):
            raise BadScheme(
                _WHERE_CATEGORY,
                field="code",
                number=number,
                reason=InvalidInput(N_("编码 %(code)s 重复。"), code=category.code).message,
            )
        categories.append(category)
    if len(seen) > MAX_INDICATORS:
        raise BadScheme(N_("考核指标最多 %(most)s 项。"), field="indicators", most=MAX_INDICATORS)
    total = sum(c.weight for c in categories)
    if total != TOTAL:
        raise BadScheme(
            N_("考核方案各类权重合计须为 100 分（现为 %(total)s 分）。"),
            field="categories",
            total=total,
        )
    return AssessmentScheme(version.strip(), name.strip(), tuple(categories))


def _rate(code: str, name: str, points: int, num: list[str], den: list[str], full: int, zero: int,
          kind: str = RATE) -> dict[str, Any]:  # fmt: skip
    formula = {"kind": kind, "numerator": num, "denominator": den, "full": full, "zero": zero}
    return {"code": code, "name": name, "points": points, "formula": formula}


def _deduct(code: str, name: str, points: int, metric: list[str], per: int) -> dict[str, Any]:
    formula = {"kind": DEDUCT, "metric": metric, "per": per, "cap": points}
    return {"code": code, "name": name, "points": points, "formula": formula}


# The seed's seven categories, 100 points per window unit, from what the log records.
DEFAULT_SCHEME_BODY: dict[str, Any] = {
    "version": "default-2026",
    "name": "窗口单位百分达标考核（默认方案）",
    "categories": [
        {"code": "efficiency", "name": "办理效率", "weight": 20, "indicators": [
            _rate("completion_rate", "办结率", 6, ["completed"], ["accepted"], 90, 50),
            _rate("immediate_share", "即办件占比", 6, ["completed_immediate"], ["completed"],
                  50, 0),
            _rate("mean_days", "平均办理用时（工作日）", 8, ["days_used"], ["completed_timed"],
                  2, 10, MEAN),
        ]},
        {"code": "timeliness", "name": "办结时效", "weight": 20, "indicators": [
            _rate("on_time_rate", "按时办结率", 14, ["completed_on_time"],
                  ["completed_on_time", "completed_late"], 100, 80),
            _deduct("late_cases", "超期办结扣分", 6, ["completed_late"], 2),
        ]},
        {"code": "satisfaction", "name": "群众满意度", "weight": 20, "indicators": [
            _rate("satisfaction_rate", "满意率", 12, ["satisfied"], ["ratings"], 95, 60),
            _rate("rating_rate", "评价率", 8, ["rated"], ["completed"], 90, 30),
        ]},
        {"code": "complaints", "name": "投诉处理", "weight": 10, "indicators": [
            _deduct("complaints", "投诉扣分", 4, ["complaints"], 2),
            _rate("rectification_on_time", "差评整改按时率", 6, ["answered_on_time"],
                  ["answered_on_time", "rectifications_late"], 100, 60),
        ]},
        {"code": "standardization", "name": "规范化", "weight": 10, "indicators": [
            _rate("supplement_rate", "补正率", 5, ["supplemented"], ["completed"], 10, 40),
            _rate("refusal_rate", "不予受理率", 5, ["refused"], ["accepted", "refused"], 5, 30),
        ]},
        {"code": "openness", "name": "公开与回访", "weight": 10, "indicators": [
            _rate("callback_rate", "回访率", 10, ["called_back"], ["callbacks_due"], 100, 50),
        ]},
        {"code": "discipline", "name": "纪律（红黄牌）", "weight": 10, "indicators": [
            _deduct("red_cards", "红牌扣分", 6, ["red_cards"], 3),
            _deduct("yellow_cards", "黄牌扣分", 4, ["yellow_cards"], 1),
        ]},
    ],
}  # fmt: skip
DEFAULT_SCHEME = parse_scheme(DEFAULT_SCHEME_BODY)
