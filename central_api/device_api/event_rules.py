"""What central refuses in a device's events beyond the fold: what only central's own data can tell.

Central enforces what it published (DESIGN.md): a `registered` event's item must be the item of the
catalogue version central signed, not whatever snapshot the device sent (a device could otherwise
register a county-approved item as a promised one and close it at the township); a `forwarded`
event may name only the unit above on the item's route; a case number must fit and be free; a
`rated` event's level, 差评 flag and reasons must be those of a rating scale central published. Each
refusal rejects that event alone, with a code and a message the device shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.applicant_rules import DEFAULT_APPLICANT_KINDS
from sync.errors import DomainError, InvalidInput
from sync.joint_review_rules import joint_definition
from sync.rating_scale import DEFAULT_SCALE, RatingScale, check_rating

ITEM_MISMATCH = "item_mismatch"  # the item snapshot differs from the published catalogue's item
UNKNOWN_CATALOGUE_VERSION = "unknown_catalogue_version"  # central never published that version
FORWARD_NOT_ALLOWED = "forward_not_allowed"  # `to_org` is not the route's next level above
CASE_NUMBER_TOO_LONG = "case_number_too_long"
CASE_NUMBER_TAKEN = "case_number_taken"
RATING_MISMATCH = (
    "rating_mismatch"  # a rating's scale version, level, 差评 flag or reason is not published
)

MAX_CASE_NUMBER = 40

# The item fields a registered event copies from the catalogue, and what each decides.
_ITEM_FIELDS = {
    "name": "事项名称",
    "kind": "办件类型",
    "route": "审批层级",
    "statutory_days": "法定时限",
    "promised_days": "承诺时限",
    "fee_fen": "收费金额",
    "fee_code": "收费编码",
    "joint_review": "联审环节",
    "applicant_kinds": "可申请的申请人类型",
    "extension_max_days": "延期上限",
    "stage_limits": "环节时限",
    "green_channel_days": "绿色通道时限",
}
_LEVEL_NAMES = {"county": "县级", "city": "市级"}

Items = Mapping[str, Mapping[str, Any]]  # item code → the published item
Ancestors = Mapping[str, list[tuple[str, str]]]  # unit code → [(code, level)] upwards


class EventRefused(DomainError):
    """An event central keeps rejected because it contradicts what central published."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def published_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return a published catalogue item as a `registered` event copies it (township casework)."""
    return {
        "name": item.get("name"),
        "kind": item.get("kind"),
        "route": list(item.get("route") or []),
        "statutory_days": item.get("statutory_days"),
        "promised_days": item.get("promised_days"),
        "fee_fen": item.get("fee_fen"),
        "fee_code": item.get("fee_code"),
        "joint_review": _joint(item),
        # A snapshot leaves out the default (natural persons only), as ``sync.case_payloads`` does.
        "applicant_kinds": _accepted_kinds(item.get("applicant_kinds")),
        "extension_max_days": item.get("extension_max_days"),
        "stage_limits": item.get("stage_limits"),
        "green_channel_days": item.get("green_channel_days"),
    }


def _joint(item: Mapping[str, Any]) -> dict[str, Any] | None:
    # The snapshot carries the parallel step as the fold normalises it; a published catalogue
    # passed the same check, so this never refuses here.
    try:
        return joint_definition(item.get("joint_review"), list(item.get("route") or []))
    except InvalidInput:
        return None


def _accepted_kinds(kinds: Any) -> list[Any] | None:
    if not isinstance(kinds, list) or tuple(kinds) == DEFAULT_APPLICANT_KINDS:
        return None
    return list(kinds)


def check_registered(
    payload: Mapping[str, Any],
    case_id: str,
    catalogues: Mapping[str, Items],
    numbers: Mapping[str, str],
) -> None:
    """Refuse a registration whose item is not the published one, or whose case number is too long
    or used by another case. ``catalogues`` maps each published version to its items."""
    number = payload.get("case_number")
    if isinstance(number, str):
        if len(number) > MAX_CASE_NUMBER:
            raise EventRefused(
                CASE_NUMBER_TOO_LONG,
                f"办件编号过长：最多 {MAX_CASE_NUMBER} 个字符，实为 {len(number)} 个。",
            )
        if numbers.get(number, case_id) != case_id:
            raise EventRefused(CASE_NUMBER_TAKEN, f"办件编号 {number} 已被另一个办件使用。")
    item = payload.get("item")
    if not isinstance(item, Mapping) or not isinstance(item.get("catalogue_version"), str):
        return  # the fold refuses a missing item or version with its own message
    version = item["catalogue_version"]
    items = catalogues.get(version)
    if items is None:
        raise EventRefused(
            UNKNOWN_CATALOGUE_VERSION,
            f"事项目录版本 {version[:40]} 不是中心发布的版本，不予登记；请同步最新事项目录后重新登记。",
        )
    code = item.get("code")
    published = items.get(code) if isinstance(code, str) else None
    if published is None:
        raise EventRefused(
            ITEM_MISMATCH,
            f"事项 {str(code)[:40]} 不在中心发布的事项目录 {version[:40]} 中，不予登记。",
        )
    if {name: item.get(name) for name in _ITEM_FIELDS} != published:
        differs = [
            label for name, label in _ITEM_FIELDS.items() if item.get(name) != published[name]
        ]
        raise EventRefused(
            ITEM_MISMATCH,
            f"事项 {code[:40]} 的{'、'.join(differs)}与中心发布的事项目录 {version[:40]} 不符，"
            "不予登记；请同步最新事项目录后重新登记。",
        )


def next_level_unit(
    route: list[Any], opinions: int, holder_code: str, ancestors: Ancestors
) -> tuple[str, str | None] | None:
    """Return the route's next level and the unit above the holder at that level (None if the org
    tree has none); None if the route has no next level (the fold refuses that forward)."""
    if opinions >= len(route):
        return None
    level = route[opinions]
    for code, unit_level in ancestors.get(holder_code, ()):
        if unit_level == level:
            return level, code
    return level, None


def check_forwarded(
    payload: Mapping[str, Any],
    route: list[Any],
    opinions: int,
    holder_code: str,
    ancestors: Ancestors,
) -> None:
    """Refuse a forward to any unit but the one above the holder at the route's next level."""
    to_org = payload.get("to_org")
    step = next_level_unit(route, opinions, holder_code, ancestors)
    if not isinstance(to_org, str) or step is None:
        return  # the fold refuses a missing unit, or a route gone to its end, with its message
    level, unit = step
    level_name = _LEVEL_NAMES.get(level, str(level))
    if unit is None:
        raise EventRefused(
            FORWARD_NOT_ALLOWED,
            f"组织机构中没有 {holder_code} 的上级{level_name}审批单位，不能上报。",
        )
    if to_org.strip() != unit:
        raise EventRefused(
            FORWARD_NOT_ALLOWED,
            f"该事项须上报{level_name}审批单位 {unit}，不能上报 {to_org[:20]}。",
        )


def check_rated(payload: Mapping[str, Any], scales: Mapping[str, RatingScale]) -> None:
    """Refuse a rating that is not one of a published scale: its version unknown, its level not
    a level of that version, its 差评 flag not the level's, a reason not published. ``scales`` maps
    each published version to its scale; none published yet means the built-in default, the scale
    every township rates on until one is installed."""
    known = scales or {DEFAULT_SCALE.version: DEFAULT_SCALE}
    version = payload.get("scale_version")
    scale = known.get(version) if isinstance(version, str) else None
    if scale is None:
        raise EventRefused(
            RATING_MISMATCH,
            f"评价标准版本 {str(version)[:40]} 不是中心发布的版本，不予记录该评价。",
        )
    try:
        check_rating(scale, payload)
    except InvalidInput as error:
        raise EventRefused(RATING_MISMATCH, f"{error.message}不予记录该评价。") from None
