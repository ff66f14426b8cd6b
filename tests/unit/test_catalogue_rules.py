"""A catalogue is checked where it comes in, by the fold's own rules for the item a case carries."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sync import events as ev
from sync import fold
from sync.catalogue_rules import BadCatalogue, check_catalogue, item_snapshot, snapshot_of
from sync.demo_data import read_demo
from sync.errors import InvalidInput
from tests.unit.casefactory import CaseLog, registered_payload

# (change to the demo catalogue's first item, the field named, the fold's message)
BAD_ITEMS = [
    ({"kind": "urgent"}, "kind", "事项类型不正确。"),
    ({"kind": None}, "kind", "事项类型不正确。"),
    ({"route": ["province"]}, "route", "事项的审批层级不正确。"),
    ({"route": "county"}, "route", "事项的审批层级不正确。"),
    ({"kind": "forwarded", "route": []}, "route", "上报件必须写明上级审批层级。"),
    ({"kind": "promised", "route": ["county"]}, "route", "只有上报件才有上级审批层级。"),
    ({"statutory_days": -1}, "statutory_days", "法定时限不正确。"),
    ({"statutory_days": "30"}, "statutory_days", "法定时限不正确。"),
    ({"promised_days": True}, "promised_days", "承诺时限不正确。"),
    ({"statutory_days": 10, "promised_days": 11}, "promised_days", "承诺时限不能超过法定时限。"),
    ({"fee_fen": -100}, "fee_fen", "收费金额不正确。"),
    ({"fee_fen": "100"}, "fee_fen", "收费金额不正确。"),
    ({"fee_code": 42}, "fee_code", "收费编码不正确。"),
    ({"code": "  "}, "code", "事项编码不能为空。"),
    ({"name": 7}, "name", "事项名称不能为空。"),
]


def _demo() -> dict[str, Any]:
    return copy.deepcopy(read_demo("catalogue.json"))


def _with_first_item(change: dict[str, Any]) -> dict[str, Any]:
    catalogue = _demo()
    catalogue["items"][0].update(change)
    return catalogue


def test_the_demo_catalogue_passes() -> None:
    check_catalogue(_demo())


@pytest.mark.parametrize(("change", "field", "reason"), BAD_ITEMS)
def test_a_bad_item_is_refused_naming_the_item_and_the_field(
    change: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(BadCatalogue) as refused:
        check_catalogue(_with_first_item(change))
    assert refused.value.code == "invalid_catalogue"
    assert refused.value.field == field
    message = refused.value.message
    first = _demo()["items"][0]
    code = change.get("code", first["code"])
    name = change.get("name", first["name"])
    shown = f"{code} {name}" if isinstance(code, str) and isinstance(name, str) else ""
    assert message.startswith(f"事项目录第 1 项（{shown}" if shown else "事项目录第 1 项（")
    assert f"（{field}）" in message and message.endswith(reason)


@pytest.mark.parametrize(("change", "field", "reason"), BAD_ITEMS)
def test_the_fold_refuses_a_case_under_such_an_item_with_the_same_message(
    change: dict[str, Any], field: str, reason: str
) -> None:
    # The catalogue's rules are the fold's: what one refuses, the other refuses alike.
    item = {**registered_payload("forwarded")["item"], **change}
    with pytest.raises(InvalidInput) as by_rules:
        item_snapshot(item)
    payload = {**registered_payload("forwarded"), "item": item}
    with pytest.raises(InvalidInput) as by_fold:
        fold.apply_event(None, CaseLog().add(ev.REGISTERED, payload))
    assert (by_rules.value.message, by_rules.value.field) == (reason, field)
    assert (by_fold.value.message, by_fold.value.field) == (reason, field)


@pytest.mark.parametrize("kind", fold.ITEM_KINDS)
def test_a_good_item_gives_the_snapshot_the_fold_keeps(kind: str) -> None:
    item = registered_payload(kind)["item"]
    state = fold.apply_event(
        None, CaseLog().add(ev.REGISTERED, {**registered_payload(kind), "item": item})
    )
    assert item_snapshot(item) == state.item


def test_a_fee_in_yuan_with_decimals_is_refused_before_it_could_be_signed() -> None:
    # A signed feed entry holds no floats: the publisher reads the item's field, not a signing error.
    with pytest.raises(BadCatalogue, match="（fee_fen）：收费金额不正确。"):
        check_catalogue(_with_first_item({"fee_fen": 1.5}))


def test_an_item_without_route_or_fee_code_is_a_township_item() -> None:
    first = _demo()["items"][2]  # promised, decided at the township
    del first["route"], first["fee_code"]
    snapshot = snapshot_of(first, "v1")
    assert (snapshot["route"], snapshot["fee_code"], snapshot["catalogue_version"]) == (
        [],
        None,
        "v1",
    )


@pytest.mark.parametrize(
    ("catalogue", "field", "message"),
    [
        ({"items": []}, "catalogue", "事项目录须有版本号（version）和事项清单（items）。"),
        (
            {"version": "v1", "items": {}},
            "catalogue",
            "事项目录须有版本号（version）和事项清单（items）。",
        ),
        ({"version": "v1", "items": []}, "items", "事项目录中没有任何事项。"),
        (
            {"version": "v1", "items": ["x"]},
            "item",
            "事项目录第 1 项（ ），字段“事项”（item）：事项格式不正确。",
        ),
    ],
)
def test_a_catalogue_without_version_or_items_is_refused(
    catalogue: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(BadCatalogue) as refused:
        check_catalogue(catalogue)
    assert (refused.value.field, refused.value.message) == (field, message)


def test_two_items_with_one_code_are_refused() -> None:
    catalogue = _demo()
    catalogue["items"][1]["code"] = catalogue["items"][0]["code"]
    with pytest.raises(BadCatalogue, match="第 2 项.*事项编码重复：370613-MZ-001"):
        check_catalogue(catalogue)


@pytest.mark.parametrize(
    ("materials", "message"),
    [
        (None, "材料清单格式不正确。"),
        ([{"code": "M01", "name": "身份证"}], "材料清单格式不正确。"),
        ([{"code": "", "name": "身份证", "mandatory": True}], "材料缺少编码。"),
        ([{"code": "M01", "name": "", "mandatory": True}], "材料缺少名称。"),
        (
            [{"code": "M01", "name": "甲", "mandatory": True}] * 2,
            "材料编码重复：M01",
        ),
    ],
)
def test_an_item_whose_materials_the_window_cannot_list_is_refused(
    materials: Any, message: str
) -> None:
    with pytest.raises(BadCatalogue) as refused:
        check_catalogue(_with_first_item({"materials": materials}))
    assert refused.value.message.endswith(message)
