"""The payload fields of case events, parsed and checked for the fold (``sync.fold``).

Each helper returns the cleaned value or raises ``InvalidInput`` with a message a clerk
understands and the field it is about. They run for every event central ingests, so the
common types are told by their exact class first (what JSON gives) before the slower checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync.applicant_rules import DEFAULT_APPLICANT_KINDS, applicant_kinds_field, parse_person
from sync.case_state import ITEM_KINDS, ROUTE_LEVELS
from sync.errors import N_, InvalidInput
from sync.joint_review_rules import joint_definition


def text_field(payload: Mapping[str, Any], key: str, message: str, *, required: bool = True) -> str:
    """Return a text field stripped, refusing with ``message`` what is not text (or is empty, if
    required)."""
    value = payload.get(key, "")
    # ``type(...) is str`` before ``isinstance``: central folds hundreds of thousands of these in
    # a batch, and the exact type is what JSON gives.
    if value.__class__ is not str and not isinstance(value, str):
        raise InvalidInput(message, field=key)
    value = value.strip()
    if required and not value:
        raise InvalidInput(message, field=key)
    return value


def is_mapping(value: object) -> bool:
    """Tell whether a value is a mapping; a parsed JSON object (a dict) is told without the ABC's
    slower ``isinstance`` check."""
    return value.__class__ is dict or isinstance(value, Mapping)


def count_field(payload: Mapping[str, Any], key: str, message: str) -> int:
    """Return a whole number of zero or more, or refuse it with ``message``."""
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(message, field=key)
    return value


def files_field(raw: Any) -> tuple[dict[str, Any], ...]:
    """Return the scans attached to a material (hash, size, type, name), or refuse them."""
    if not isinstance(raw, list):
        raise InvalidInput(N_("材料附件格式不正确。"), field="files")
    files = []
    for entry in raw:
        if not is_mapping(entry):
            raise InvalidInput(N_("材料附件格式不正确。"), field="files")
        digest = text_field(entry, "sha256", N_("附件缺少 SHA-256 摘要。"))
        if len(digest) != 64 or digest.strip("0123456789abcdef"):
            raise InvalidInput(N_("附件的 SHA-256 摘要格式不正确。"), field="sha256")
        files.append(
            {
                "sha256": digest,
                "size": count_field(entry, "size", N_("附件大小不正确。")),
                "media_type": text_field(entry, "media_type", N_("附件缺少文件类型。")),
                "filename": text_field(entry, "filename", "", required=False),
            }
        )
    return tuple(files)


def item_field(raw: Any) -> dict[str, Any]:
    """Return the item snapshot a case is registered under (kind, route, limits, fee), or refuse it."""
    if not is_mapping(raw):
        raise InvalidInput(N_("办件缺少事项信息。"), field="item")
    kind = raw.get("kind")
    if kind not in ITEM_KINDS:
        raise InvalidInput(N_("事项类型不正确。"), field="kind")
    route = raw.get("route")
    if not isinstance(route, list) or any(level not in ROUTE_LEVELS for level in route):
        raise InvalidInput(N_("事项的审批层级不正确。"), field="route")
    if kind == "forwarded" and not route:
        raise InvalidInput(N_("上报件必须写明上级审批层级。"), field="route")
    if kind != "forwarded" and route:
        raise InvalidInput(N_("只有上报件才有上级审批层级。"), field="route")
    statutory = count_field(raw, "statutory_days", N_("法定时限不正确。"))
    promised = count_field(raw, "promised_days", N_("承诺时限不正确。"))
    if promised > statutory:
        raise InvalidInput(N_("承诺时限不能超过法定时限。"), field="promised_days")
    fee_code = raw.get("fee_code")
    if fee_code is not None and not isinstance(fee_code, str):
        raise InvalidInput(N_("收费编码不正确。"), field="fee_code")
    snapshot = {
        "code": text_field(raw, "code", N_("事项编码不能为空。")),
        "name": text_field(raw, "name", N_("事项名称不能为空。")),
        "kind": kind,
        "route": list(route),
        "statutory_days": statutory,
        "promised_days": promised,
        "fee_fen": count_field(raw, "fee_fen", N_("收费金额不正确。")),
        "fee_code": fee_code,
        "catalogue_version": text_field(raw, "catalogue_version", N_("缺少事项目录版本。")),
    }
    # A parallel step (联审) only where the item has one: older snapshots stay byte for byte.
    joint = joint_definition(raw.get("joint_review"), snapshot["route"])
    if joint is not None:
        snapshot["joint_review"] = joint
    # Only an item that accepts more than natural persons says so: older snapshots stay the same.
    kinds = applicant_kinds_field(raw.get("applicant_kinds"))
    if kinds != DEFAULT_APPLICANT_KINDS:
        snapshot["applicant_kinds"] = list(kinds)
    # Optional (an item without them gives the same snapshot as before they existed): the most
    # working days all extensions may add (§42, 10 when absent) and the limits per stage (§43).
    if raw.get("extension_max_days") is not None:
        snapshot["extension_max_days"] = count_field(
            raw, "extension_max_days", N_("延期上限不正确。")
        )
    if raw.get("stage_limits") is not None:
        snapshot["stage_limits"] = _stage_limits(raw["stage_limits"], ["township", *route])
    # 绿色通道 (sync.green_channel): an optional shorter promised limit, kept only where set, so that
    # the snapshots of items without one stay as they were.
    green = raw.get("green_channel_days")
    if green is not None:
        if isinstance(green, bool) or not isinstance(green, int) or not 1 <= green <= promised:
            raise InvalidInput(
                N_("绿色通道时限须为 1 至承诺时限之间的工作日数。"), field="green_channel_days"
            )
        snapshot["green_channel_days"] = green
    return snapshot


def _stage_limits(raw: Any, stages: list[str]) -> dict[str, int]:
    """Return an item's limits per stage (乡镇初审, 县级, 市级), or refuse them."""
    if not is_mapping(raw) or not raw:
        raise InvalidInput(N_("环节时限应按环节列出工作日数。"), field="stage_limits")
    limits = {}
    for stage, days in raw.items():
        if stage not in stages:
            raise InvalidInput(
                N_("环节时限只能为乡镇初审和该事项的审批层级设定，不能为“%(stage)s”设定。"),
                field="stage_limits",
                stage=str(stage)[:20],
            )
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 999:
            raise InvalidInput(N_("环节时限应为0至999的整数（工作日）。"), field="stage_limits")
        limits[stage] = days
    return limits


def person_field(raw: Any, *, with_address: bool, day: date) -> dict[str, Any]:
    """Return an applicant (with address) or a proxy (with relation), or refuse it: a natural person
    with any accepted identity document, or a legal person (``sync.applicant_rules``)."""
    return parse_person(raw, with_address=with_address, day=day)


def materials_field(raw: Any) -> tuple[dict[str, Any], ...]:
    """Return a case's materials checklist (codes unique, with their scans), or refuse it."""
    if not isinstance(raw, list):
        raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
    materials = []
    seen = set()
    for entry in raw:
        if not is_mapping(entry):
            raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
        code = text_field(entry, "code", N_("材料缺少编码。"))
        if code in seen:
            raise InvalidInput(N_("材料编码重复：%(code)s"), field="materials", code=code)
        seen.add(code)
        received = entry.get("received")
        mandatory = entry.get("mandatory")
        if not isinstance(received, bool) or not isinstance(mandatory, bool):
            raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
        materials.append(
            {
                "code": code,
                "name": text_field(entry, "name", N_("材料缺少名称。")),
                "mandatory": mandatory,
                "received": received,
                "files": list(files_field(entry.get("files", []))),
            }
        )
    return tuple(materials)
