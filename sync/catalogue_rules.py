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

from sync.errors import N_, InvalidInput
from sync.fold import ITEM_KINDS, ROUTE_LEVELS

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
    "materials": N_("材料清单"),
    "catalogue_version": N_("事项目录版本"),
}


class BadCatalogue(InvalidInput):
    """A catalogue, or one of its items, breaks a rule; the message names the item and the field."""

    code = "invalid_catalogue"


def _text(raw: Mapping[str, Any], key: str, message: str) -> str:
    value = raw.get(key, "")
    # ``type(...) is str`` first, as the fold does: central checks every item of a batch.
    if (value.__class__ is not str and not isinstance(value, str)) or not value.strip():
        raise InvalidInput(message, field=key)
    return value.strip()


def _count(raw: Mapping[str, Any], key: str, message: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(message, field=key)
    return value


def item_snapshot(raw: Any) -> dict[str, Any]:
    """Return the item snapshot a case is registered under (kind, route, limits, fee), or refuse it."""
    # A parsed JSON object (a dict) is told without the ABC's slower check, as the fold does.
    if raw.__class__ is not dict and not isinstance(raw, Mapping):
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
    statutory = _count(raw, "statutory_days", N_("法定时限不正确。"))
    promised = _count(raw, "promised_days", N_("承诺时限不正确。"))
    if promised > statutory:
        raise InvalidInput(N_("承诺时限不能超过法定时限。"), field="promised_days")
    fee_code = raw.get("fee_code")
    if fee_code is not None and not isinstance(fee_code, str):
        raise InvalidInput(N_("收费编码不正确。"), field="fee_code")
    return {
        "code": _text(raw, "code", N_("事项编码不能为空。")),
        "name": _text(raw, "name", N_("事项名称不能为空。")),
        "kind": kind,
        "route": list(route),
        "statutory_days": statutory,
        "promised_days": promised,
        "fee_fen": _count(raw, "fee_fen", N_("收费金额不正确。")),
        "fee_code": fee_code,
        "catalogue_version": _text(raw, "catalogue_version", N_("缺少事项目录版本。")),
    }


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
            "catalogue_version": version,
        }
    )


def _check_materials(raw: Any) -> None:
    # The window's checklist reads each material's code, name and whether it is mandatory.
    if not isinstance(raw, list):
        raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
    seen = set()
    for entry in raw:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("mandatory"), bool):
            raise InvalidInput(N_("材料清单格式不正确。"), field="materials")
        code = _text(entry, "code", N_("材料缺少编码。"))
        _text(entry, "name", N_("材料缺少名称。"))
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
