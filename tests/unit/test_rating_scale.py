"""The rating scale is published data: both built-in scales parse, bad ones are refused by name."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sync.errors import InvalidInput
from sync.rating_scale import (
    BUILT_IN,
    DEFAULT_SCALE,
    NATIONAL_FIVE,
    WINDOW_2015,
    BadScale,
    RatingScale,
    check_rating,
    parse_scale,
)

SCALES = [NATIONAL_FIVE, WINDOW_2015]


def test_the_default_is_the_national_five_levels_with_the_last_two_bad() -> None:
    assert DEFAULT_SCALE is NATIONAL_FIVE
    assert [(x.label, x.bad) for x in NATIONAL_FIVE.levels] == [
        ("非常满意", False),
        ("满意", False),
        ("基本满意", False),
        ("不满意", True),
        ("非常不满意", True),
    ]


def test_the_2015_window_scale_has_four_levels_and_only_dissatisfied_is_bad() -> None:
    assert [(x.label, x.bad) for x in WINDOW_2015.levels] == [
        ("满意", False),
        ("基本满意", False),
        ("一般", False),
        ("不满意", True),
    ]
    assert set(BUILT_IN) == {NATIONAL_FIVE.version, WINDOW_2015.version}


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: s.version)
def test_a_built_in_scale_survives_its_published_form(scale: RatingScale) -> None:
    assert parse_scale(scale.to_dict()) == scale


def _five() -> dict[str, Any]:
    return copy.deepcopy(NATIONAL_FIVE.to_dict())


def _changed(path: str, value: Any) -> dict[str, Any]:
    raw = _five()
    target: Any = raw
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return raw


BAD_SCALES = [
    (_changed("version", ""), "评价标准须有版本号（version），最多 40 个字符。"),
    (_changed("version", "v" * 41), "评价标准须有版本号（version），最多 40 个字符。"),
    (_changed("levels", KeyError), "评价标准须列出 2 至 10 个评价等级（levels），从最好到最差。"),
    (_changed("levels", []), "评价标准须列出 2 至 10 个评价等级（levels），从最好到最差。"),
    (
        _changed("levels.0.code", "Very good"),
        "评价标准第 1 个等级：编码须为小写字母开头的字母、数字或下划线，最多 32 个字符。",
    ),
    (_changed("levels.1.label", " "), "评价标准第 2 个等级：名称不能为空，最多 40 个字。"),
    (
        _changed("levels.2.bad", "no"),
        "评价标准第 3 个等级：须写明是否为差评（bad: true 或 false）。",
    ),
    (_changed("levels.4.code", "dissatisfied"), "评价标准第 5 个等级：编码 dissatisfied 重复。"),
    (_changed("levels.3", "bad"), "评价标准第 4 个等级：格式不正确。"),
    (_changed("levels.1.bad", True), "差评等级须排在最后（等级按从最好到最差的顺序列出）。"),
    (_changed("levels.0.bad", True), "差评等级须排在最后（等级按从最好到最差的顺序列出）。"),
    (
        {**_five(), "levels": [{"code": "good", "label": "好", "bad": False}] * 1},
        "评价标准须列出 2 至 10 个评价等级（levels），从最好到最差。",
    ),
    (
        {
            **_five(),
            "levels": [
                {"code": "good", "label": "好", "bad": False},
                {"code": "fine", "label": "还行", "bad": False},
            ],
        },
        "评价标准须既有好评等级，也有差评等级。",
    ),
    (_changed("reasons", "slow"), "评价原因（reasons）须为列表，最多 30 项。"),
    (_changed("reasons.6.code", "slow"), "评价标准第 7 个原因：编码 slow 重复。"),
    (_changed("reasons.0.label", None), "评价标准第 1 个原因：名称不能为空，最多 40 个字。"),
    ("five levels", "评价标准格式不正确。"),
]


@pytest.mark.parametrize(("raw", "message"), BAD_SCALES)
def test_a_bad_scale_is_refused_with_what_is_wrong(raw: Any, message: str) -> None:
    with pytest.raises(BadScale) as refused:
        parse_scale(raw)
    assert refused.value.message == message
    assert refused.value.code == "invalid_rating_scale"


def _rating(scale: RatingScale, level: str, **changes: Any) -> dict[str, Any]:
    bad = scale.level(level).bad  # type: ignore[union-attr]
    return {"scale_version": scale.version, "level": level, "bad": bad, "reasons": [], **changes}


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: s.version)
def test_every_level_of_a_scale_passes_its_own_check(scale: RatingScale) -> None:
    for level in scale.levels:
        reasons = ["slow", "other"] if level.bad else []
        check_rating(scale, _rating(scale, level.code, reasons=reasons))


# (scale, payload changes, message): a rating checked against the scale it names.
BAD_RATINGS = [
    (
        NATIONAL_FIVE,
        {"level": "average", "bad": False},
        "评价等级 average 不在评价标准 national-2019 中。",
    ),
    (
        WINDOW_2015,
        {"level": "very_dissatisfied", "bad": True},
        "评价等级 very_dissatisfied 不在评价标准 window-2015 中。",
    ),
    (
        NATIONAL_FIVE,
        {"level": "level_6", "bad": True},
        "评价等级 level_6 不在评价标准 national-2019 中。",
    ),
    (
        NATIONAL_FIVE,
        {"level": "dissatisfied", "bad": False},
        "评价等级“不满意”的差评标记与评价标准不符。",
    ),
    (
        WINDOW_2015,
        {"level": "dissatisfied", "bad": False},
        "评价等级“不满意”的差评标记与评价标准不符。",
    ),
    (WINDOW_2015, {"level": "average", "bad": True}, "评价等级“一般”的差评标记与评价标准不符。"),
    (WINDOW_2015, {"level": "average", "bad": "no"}, "评价等级“一般”的差评标记与评价标准不符。"),
    (
        NATIONAL_FIVE,
        {"reasons": ["slow", "rude_guard"]},
        "评价原因 rude_guard 不在评价标准 national-2019 中。",
    ),
    (
        WINDOW_2015,
        {"scale_version": "national-2019"},
        "评价所依据的评价标准版本 national-2019 不是 window-2015。",
    ),
]


@pytest.mark.parametrize(("scale", "changes", "message"), BAD_RATINGS)
def test_a_rating_that_is_not_the_scales_is_refused(
    scale: RatingScale, changes: dict[str, Any], message: str
) -> None:
    payload = {**_rating(scale, "satisfied"), **changes}
    with pytest.raises(InvalidInput) as refused:
        check_rating(scale, payload)
    assert refused.value.message == message
