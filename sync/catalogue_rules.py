"""What makes a catalogue installable: each item passes the fold's rules for the item a case carries.

Central checks a catalogue before it publishes it and the township again before it installs it, so
a bad item kind or route is refused where the catalogue comes in, with the item and the field named,
not later when a clerk registers a case under it. ``item_snapshot`` holds the rules of the item a
case is registered under; the fold's own item check is meant to call it, so that the two cannot
drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.case_payloads import item_field, text_field
from sync.errors import N_, InvalidInput

# What each field of an item is called in a message to the admin who publishes or installs it.
FIELD_NAMES = {
    "item": N_("事项"),
    "code": N_("事项编码"),
    "name": N_("事项名称"),
    "kind": N_("事项类型"),
    "route": N_("审批层级"),
    "statutory_days": N_("法定时限"),
    "promised_days": N_("承诺时限"),
    "fee_fen": N_("收费金额"),
    "fee_code": N_("收费编码"),
    "green_channel_days": N_("绿色通道时限"),
    "materials": N_("材料清单"),
    "joint_review": N_("联审环节"),
    "catalogue_version": N_("事项目录版本"),
    "applicant_kinds": N_("可申请的申请人类型"),
    "extension_max_days": N_("延期上限"),
    "stage_limits": N_("环节时限"),
}


class BadCatalogue(InvalidInput):
    """A catalogue, or one of its items, breaks a rule; the message names the item and the field."""

    code = "invalid_catalogue"


def item_snapshot(raw: Any) -> dict[str, Any]:
    """Return the item snapshot a case is registered under (kind, route, limits, fee), or refuse it:
    the fold's own rules for a registered item, so a catalogue passes exactly when its items could be
    registered."""
    return item_field(raw)


def snapshot_of(item: Mapping[str, Any], version: str) -> dict[str, Any]:
    """Return the snapshot a case registered under this catalogue item carries, or refuse it."""
    return item_snapshot(
        {
            "code": item.get("code"),
            "name": item.get("name"),
            "kind": item.get("kind"),
            # A catalogue may leave out the route of an item decided at the township, and its fee
            # code: the township registers such an item with no route and no fee code.
            "route": item.get("route", []),
            "statutory_days": item.get("statutory_days"),
            "promised_days": item.get("promised_days"),
            "fee_fen": item.get("fee_fen"),
            "fee_code": item.get("fee_code"),
            "joint_review": item.get("joint_review"),
            "green_channel_days": item.get("green_channel_days"),
            "catalogue_version": version,
            "applicant_kinds": item.get("applicant_kinds"),
            # Optional (行政许可法 §42, §43): absent, the snapshot is what it always was.
            "extension_max_days": item.get("extension_max_days"),
            "stage_limits": item.get("stage_limits"),
        }
    )


def _check_fee(item: Mapping[str, Any]) -> None:
    # A fee is paid at the bank against its fee code (执收代码): an item that charges one names it.
    fee_code = item.get("fee_code")
    if item.get("fee_fen") and not (isinstance(fee_code, str) and fee_code.strip()):
        raise InvalidInput(N_("收费事项必须写明收费编码（执收代码）。"), field="fee_code")


def _check_materials(raw: Any) -> None:
    # The window's checklist reads each material's code, name and whether it is mandatory.
    if not isinstance(raw, list):
        raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
    seen = set()
    for entry in raw:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("mandatory"), bool):
            raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
        code = text_field(entry, "code", N_("材料缺少编码。"))
        text_field(entry, "name", N_("材料缺少名称。"))
        if code in seen:
            raise InvalidInput(N_("材料编码重复：%(code)s"), field="materials", code=code)
        seen.add(code)


def check_catalogue(catalogue: Mapping[str, Any]) -> None:
    """Refuse a catalogue with no version or items, or with an item a case could not carry."""
    version = catalogue.get("version")
    items = catalogue.get("items")
    if not isinstance(version, str) or not version.strip() or not isinstance(items, list):
        raise BadCatalogue(
            N_("事项目录须有版本号（version）和事项清单（items）。"), field="catalogue"
        )
    if not items:
        raise BadCatalogue(N_("事项目录中没有任何事项。"), field="items")
    codes: set[str] = set()
    for number, item in enumerate(items, start=1):
        code = item.get("code") if isinstance(item, Mapping) else None
        name = item.get("name") if isinstance(item, Mapping) else None
        try:
            if not isinstance(item, Mapping):
                raise InvalidInput(N_("事项格式不正确。"), field="item")
            snapshot_of(item, version)
            _check_fee(item)
            _check_materials(item.get("materials"))
            if code in codes:
                raise InvalidInput(N_("事项编码重复：%(code)s"), field="code", code=code)
        except InvalidInput as error:
            field = error.field or "item"
            raise BadCatalogue(
                N_(
                    "事项目录第 %(number)s 项（%(code)s %(name)s），字段“%(field_name)s”（%(key)s）：%(reason)s"
                ),
                field=field,
                number=number,
                code=code if isinstance(code, str) else "",
                name=name if isinstance(name, str) else "",
                field_name=FIELD_NAMES.get(field, field),
                key=field,
                reason=error.message,
            ) from None
        codes.add(code)
