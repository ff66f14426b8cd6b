"""The assessment scheme (parse, the default) and its scoring on hand-worked months."""

from __future__ import annotations

import copy

import pytest

from sync.assessment import Assessment, rank, score
from sync.assessment_scheme import (
    DEFAULT_SCHEME,
    DEFAULT_SCHEME_BODY,
    METRICS,
    BadScheme,
    parse_scheme,
)


def test_default_scheme_has_seven_categories_of_100_points() -> None:
    assert [c.code for c in DEFAULT_SCHEME.categories] == [
        "efficiency", "timeliness", "satisfaction", "complaints", "standardization", "openness",
        "discipline",
    ]  # fmt: skip
    assert sum(c.weight for c in DEFAULT_SCHEME.categories) == 100
    for category in DEFAULT_SCHEME.categories:
        assert sum(i.points for i in category.indicators) == category.weight


def test_a_scheme_survives_its_own_json() -> None:
    assert parse_scheme(DEFAULT_SCHEME.to_dict()) == DEFAULT_SCHEME


def _broken(change) -> dict:
    body = copy.deepcopy(DEFAULT_SCHEME_BODY)
    change(body)
    return body


def _set_formula(**values):
    def change(body: dict) -> None:
        body["categories"][0]["indicators"][0]["formula"].update(values)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.pop("version"), "考核方案须有版本号（version）"),
        (lambda b: b.update(categories=[]), "考核方案须列出 1 至 12 个考核类别"),
        (lambda b: b["categories"].pop(), "各类权重合计须为 100 分（现为 90 分）"),
        (
            lambda b: b["categories"][0].update(weight=21),
            "第 1 类（办理效率）的指标分值合计 20，与权重 21 不符",
        ),
        (
            _set_formula(kind="median"),
            "第 1 类第 1 项指标：计分公式的类型须为 rate、mean 或 deduct",
        ),
        (_set_formula(numerator=["happiness"]), "统计项 happiness 不在可用的统计项中"),
        (_set_formula(full=50), "满分线与零分线不能相同"),
        (_set_formula(full=101), "满分线（full）须为 0 至 100 之间的整数"),
        (_set_formula(full=90.5), "满分线（full）须为 0 至 100 之间的整数"),
        (_set_formula(empty="half"), "无数据时的计分（empty）须为 full 或 zero"),
        (
            lambda b: b["categories"][6]["indicators"][0]["formula"].update(cap=7),
            "第 7 类第 1 项指标：扣分上限（cap）须为 1 至 6 之间的整数",
        ),
        (
            lambda b: b["categories"][1]["indicators"][0].update(code="completion_rate"),
            "第 2 类第 1 项指标：编码 completion_rate 重复",
        ),
        (lambda b: b["categories"][0].update(code="Efficiency"), "第 1 类：编码须为小写字母开头"),
    ],
)
def test_a_bad_scheme_is_refused_with_a_message_naming_the_fault(change, message) -> None:
    with pytest.raises(BadScheme) as refused:
        parse_scheme(_broken(change))
    assert message in refused.value.message


def _month(**values: int) -> dict[str, int]:
    return {**dict.fromkeys(METRICS, 0), **values}


def _points(assessment: Assessment) -> dict[str, float | None]:
    return {i.code: i.score for i in assessment.indicators}


def test_a_worked_month_scores_each_indicator_as_by_hand() -> None:
    # 40 accepted, 30 completed (10 immediate; of the promised 20: 18 on time, 2 late, 120 days),
    # 3 supplemented, 2 refused, 24 of 30 rated, 21 of 24 satisfied, one complaint, 3 of 4 差评
    # answered on time (1 late), 6 of 8 called back, one red card and three yellow cards.
    month = _month(
        accepted=40, completed=30, completed_immediate=10, completed_on_time=18,
        completed_late=2, completed_timed=20, days_used=120, supplemented=3, refused=2,
        rated=24, ratings=24, satisfied=21, complaints=1, answered_on_time=3,
        rectifications_late=1, callbacks_due=8, called_back=6, red_cards=1, yellow_cards=3,
    )  # fmt: skip
    assessment = score(DEFAULT_SCHEME, month)
    assert _points(assessment) == {
        "completion_rate": 3.75,  # 75% between 50 (0) and 90 (6): 25/40 × 6
        "immediate_share": 4.0,  # 33.3% of 50%: 6 × 2/3
        "mean_days": 4.0,  # 6 days between 10 (0) and 2 (8): 4/8 × 8
        "on_time_rate": 7.0,  # 90% between 80 and 100: half of 14
        "late_cases": 2.0,  # 6 − 2 × 2
        "satisfaction_rate": 9.43,  # 87.5% between 60 and 95: 27.5/35 × 12 = 9.428…
        "rating_rate": 6.67,  # 80% between 30 and 90: 50/60 × 8
        "complaints": 2.0,  # 4 − 2
        "rectification_on_time": 2.25,  # 75% between 60 and 100: 15/40 × 6
        "supplement_rate": 5.0,  # 10% is the full mark (lower is better)
        "refusal_rate": 5.0,  # 2/42 = 4.8%, under the full mark of 5% (lower is better)
        "callback_rate": 5.0,  # 75% between 50 and 100: half of 10
        "red_cards": 3.0,  # 6 − 3
        "yellow_cards": 1.0,  # 4 − 3 × 1
    }
    assert assessment.total == 60.1
    assert assessment.not_counted == 0
    on_time = next(i for i in assessment.indicators if i.code == "on_time_rate")
    assert (on_time.numerator, on_time.denominator, on_time.value) == (18, 20, 90.0)
    assert on_time.explanation == "90%（18÷20）：80% 得 0 分，100% 得满分，其间按比例计分。"


@pytest.mark.parametrize(
    ("month", "code", "points", "explanation"),
    [
        (_month(), "on_time_rate", 14.0, "本月无基数（按时办结数＋超期办结数 为 0），按满分计。"),
        (_month(supplemented=12, completed=30), "supplement_rate", 0.0,
         "40%（12÷30）：40% 得 0 分，10% 得满分，其间按比例计分。"),
        (_month(supplemented=1, completed=40), "supplement_rate", 5.0,
         "2.5%（1÷40）：40% 得 0 分，10% 得满分，其间按比例计分。"),
        (_month(red_cards=5), "red_cards", 0.0, "5 次，每次扣 3 分，扣 6 分（最多扣 6 分）。"),
        (_month(completed_late=1), "late_cases", 4.0, "1 次，每次扣 2 分，扣 2 分（最多扣 6 分）。"),
        (_month(days_used=30, completed_timed=2), "mean_days", 0.0,
         "15（30÷2）：10 得 0 分，2 得满分，其间按比例计分。"),
    ],
)  # fmt: skip
def test_edges_of_the_formulas(month, code, points, explanation) -> None:
    found = next(i for i in score(DEFAULT_SCHEME, month).indicators if i.code == code)
    assert found.score == points
    assert found.explanation == explanation


def test_an_indicator_whose_figures_are_not_counted_yet_scores_nothing_and_says_so() -> None:
    month = {k: v for k, v in _month(red_cards=1).items() if k not in ("accepted", "completed")}
    assessment = score(DEFAULT_SCHEME, month)
    completion = next(i for i in assessment.indicators if i.code == "completion_rate")
    assert completion.score is None
    assert completion.explanation == "尚未统计（缺少 办结数、受理数），不计分。"
    # 办结率, 即办件占比, 评价率, 补正率 and 不予受理率 need completed or accepted: 6+6+8+5+5.
    assert assessment.not_counted == 30
    assert assessment.total == 100 - 30 - 3


def test_ranking_puts_the_highest_total_first_and_ties_share_a_place() -> None:
    ranked = rank(
        DEFAULT_SCHEME,
        {"370602101": _month(red_cards=1), "370602102": _month(), "370602103": _month()},
    )
    assert [(r.key, r.place, r.assessment.total) for r in ranked] == [
        ("370602102", 1, 100.0),
        ("370602103", 1, 100.0),
        ("370602101", 3, 97.0),
    ]
