"""The rating scale (好差评): its levels, best to worst, which of them are 差评, and the published
reasons a resident may tick.

A scale is data that central publishes in the feed, like the catalogue: a deployment may keep the
seed's 2015 four-level window scale instead of the national five levels. Central checks a scale
before it publishes it and the township again before it installs it (``parse_scale``); the window
checks a rating against its installed scale and central against the version it published
(``check_rating``), so a `rated` event's level and 差评 flag always mean what the scale says. The fold
itself knows no scale: it checks the rating's shape and when it may come.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.errors import N_, InvalidInput

MAX_VERSION = 40
MAX_LABEL = 40
MAX_LEVELS = 10
MAX_REASONS = 30
MAX_RECTIFICATION_DAYS = 30
_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")


class BadScale(InvalidInput):
    """A scale breaks a rule; the message names the level or reason and what is wrong."""

    code = "invalid_rating_scale"


@dataclass(frozen=True)
class Level:
    """One level of a scale: its code, its Chinese label and whether it is a 差评."""

    code: str
    label: str
    bad: bool


@dataclass(frozen=True)
class Reason:
    """One published reason a resident may tick (most often for a 差评)."""

    code: str
    label: str


@dataclass(frozen=True)
class RatingScale:
    """A published scale: a version, its levels in order best → worst, and the reasons."""

    version: str
    name: str
    levels: tuple[Level, ...]
    reasons: tuple[Reason, ...]
    # The rules that go with the scale: working days a unit has to answer a 差评 (local rules say
    # 5 to 15), and the share of other completed cases called back (抽样回访).
    rectification_days: int = 5
    callback_sample_percent: int = 10

    def level(self, code: object) -> Level | None:
        """Return the level with this code, or None if the scale has none."""
        return next((level for level in self.levels if level.code == code), None)

    def reason(self, code: object) -> Reason | None:
        """Return the published reason with this code, or None if the scale has none."""
        return next((reason for reason in self.reasons if reason.code == code), None)

    @property
    def reason_codes(self) -> frozenset[str]:
        """Return the codes of the published reasons."""
        return frozenset(reason.code for reason in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """Return the scale as the JSON body central publishes and the township keeps."""
        return {
            "version": self.version,
            "name": self.name,
            "levels": [{"code": x.code, "label": x.label, "bad": x.bad} for x in self.levels],
            "reasons": [{"code": r.code, "label": r.label} for r in self.reasons],
            "rectification_days": self.rectification_days,
            "callback_sample_percent": self.callback_sample_percent,
        }


# The reasons of the national system's 差评 form (GB/T 39735-2020 asks for them as tick-boxes).
_REASONS = (
    Reason("attitude", "服务态度不好"),
    Reason("slow", "办理时间长、效率低"),
    Reason("repeated_trips", "多次跑腿、重复提交材料"),
    Reason("unclear", "告知不清楚、一次性告知不到位"),
    Reason("fees", "收费不规范或不透明"),
    Reason("procedure", "办事流程繁琐"),
    Reason("other", "其他"),
)

NATIONAL_FIVE = RatingScale(
    version="national-2019",
    name="全国一体化政务服务平台好差评（五级）",
    levels=(
        Level("very_satisfied", "非常满意", False),
        Level("satisfied", "满意", False),
        Level("basically_satisfied", "基本满意", False),
        Level("dissatisfied", "不满意", True),
        Level("very_dissatisfied", "非常不满意", True),
    ),
    reasons=_REASONS,
)

WINDOW_2015 = RatingScale(
    version="window-2015",
    name="窗口服务评价器（四级，2015）",
    levels=(
        Level("satisfied", "满意", False),
        Level("basically_satisfied", "基本满意", False),
        Level("average", "一般", False),
        Level("dissatisfied", "不满意", True),
    ),
    reasons=_REASONS,
)

DEFAULT_SCALE = NATIONAL_FIVE
# The levels that count as satisfied in the figures (满意率: 非常满意 + 满意), on either scale.
SATISFIED_LEVELS = frozenset({"very_satisfied", "satisfied"})
BUILT_IN = {scale.version: scale for scale in (NATIONAL_FIVE, WINDOW_2015)}

# Messages about a scale, each prefixed with where in the scale the fault is.
_WHERE_LEVEL = N_("评价标准第 %(number)s 个等级：%(reason)s")
_WHERE_REASON = N_("评价标准第 %(number)s 个原因：%(reason)s")


def _code(entry: Mapping[str, Any]) -> str:
    code = entry.get("code")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidInput(
            N_("编码须为小写字母开头的字母、数字或下划线，最多 32 个字符。"), field="code"
        )
    return code


def _label(entry: Mapping[str, Any]) -> str:
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip() or len(label.strip()) > MAX_LABEL:
        raise InvalidInput(N_("名称不能为空，最多 %(most)s 个字。"), field="label", most=MAX_LABEL)
    return label.strip()


def _entries(raw: Any, where: str, parse: Any) -> list[Any]:
    parsed, codes = [], set()
    for number, entry in enumerate(raw, start=1):
        try:
            if not isinstance(entry, Mapping):
                raise InvalidInput(N_("格式不正确。"), field="entry")
            value = parse(entry)
            if value.code in codes:
                raise InvalidInput(N_("编码 %(code)s 重复。"), field="code", code=value.code)
        except InvalidInput as error:
            raise BadScale(where, field=error.field, number=number, reason=error.message) from None
        codes.add(value.code)
        parsed.append(value)
    return parsed


def _level(entry: Mapping[str, Any]) -> Level:
    code, label, bad = _code(entry), _label(entry), entry.get("bad")
    if not isinstance(bad, bool):
        raise InvalidInput(N_("须写明是否为差评（bad: true 或 false）。"), field="bad")
    return Level(code, label, bad)


def _reason(entry: Mapping[str, Any]) -> Reason:
    return Reason(_code(entry), _label(entry))


def parse_scale(raw: Any) -> RatingScale:
    """Return the scale a published body describes, or refuse it with a message naming the fault."""
    if not isinstance(raw, Mapping):
        raise BadScale(N_("评价标准格式不正确。"), field="scale")
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > MAX_VERSION:
        raise BadScale(
            N_("评价标准须有版本号（version），最多 %(most)s 个字符。"),
            field="version",
            most=MAX_VERSION,
        )
    name = raw.get("name", "")
    if not isinstance(name, str) or len(name) > 80:
        raise BadScale(N_("评价标准的名称不正确（最多 80 个字）。"), field="name")
    levels_raw, reasons_raw = raw.get("levels"), raw.get("reasons", [])
    if not isinstance(levels_raw, list) or not 2 <= len(levels_raw) <= MAX_LEVELS:
        raise BadScale(
            N_("评价标准须列出 2 至 %(most)s 个评价等级（levels），从最好到最差。"),
            field="levels",
            most=MAX_LEVELS,
        )
    if not isinstance(reasons_raw, list) or len(reasons_raw) > MAX_REASONS:
        raise BadScale(
            N_("评价原因（reasons）须为列表，最多 %(most)s 项。"), field="reasons", most=MAX_REASONS
        )
    levels = _entries(levels_raw, _WHERE_LEVEL, _level)
    flags = [level.bad for level in levels]
    if all(flags) or not any(flags):
        raise BadScale(N_("评价标准须既有好评等级，也有差评等级。"), field="levels")
    # Best → worst: once a level is a 差评, every worse one is too.
    if flags != sorted(flags):
        raise BadScale(N_("差评等级须排在最后（等级按从最好到最差的顺序列出）。"), field="levels")
    reasons = _entries(reasons_raw, _WHERE_REASON, _reason)
    days = _whole(raw, "rectification_days", 5, 1, MAX_RECTIFICATION_DAYS)
    percent = _whole(raw, "callback_sample_percent", 10, 0, 100)
    return RatingScale(version.strip(), name.strip(), tuple(levels), tuple(reasons), days, percent)


def _whole(raw: Mapping[str, Any], key: str, default: int, least: int, most: int) -> int:
    value = raw.get(key, default)
    if value.__class__ is not int or not least <= value <= most:
        raise BadScale(
            N_("%(key)s 须为 %(least)s 至 %(most)s 之间的整数。"),
            field=key,
            key=key,
            least=least,
            most=most,
        )
    return value


def check_rating(scale: RatingScale, payload: Mapping[str, Any]) -> None:
    """Refuse a rating whose version, level, 差评 flag or reasons are not those of this scale."""
    if payload.get("scale_version") != scale.version:
        raise InvalidInput(
            N_("评价所依据的评价标准版本 %(got)s 不是 %(version)s。"),
            field="scale_version",
            got=str(payload.get("scale_version"))[:MAX_VERSION],
            version=scale.version,
        )
    level = scale.level(payload.get("level"))
    if level is None:
        raise InvalidInput(
            N_("评价等级 %(level)s 不在评价标准 %(version)s 中。"),
            field="level",
            level=str(payload.get("level"))[:32],
            version=scale.version,
        )
    if payload.get("bad") is not level.bad:
        raise InvalidInput(
            N_("评价等级“%(label)s”的差评标记与评价标准不符。"), field="bad", label=level.label
        )
    reasons = payload.get("reasons")
    known = scale.reason_codes
    for code in reasons if isinstance(reasons, list) else ():
        if code not in known:
            raise InvalidInput(
                N_("评价原因 %(code)s 不在评价标准 %(version)s 中。"),
                field="reasons",
                code=str(code)[:32],
                version=scale.version,
            )
