"""The demo data (org tree, catalogue, users) is consistent with itself and with the rules."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "township_app" / "demo"  # users.json: the township's own demo accounts
SHARED = ROOT / "sync" / "demo"  # org tree and catalogue, shared with the central demo

CODE_LENGTH = {"province": 6, "city": 6, "county": 6, "township": 9, "village": 12}
PARENT_LEVEL = {
    "province": None,
    "city": "province",
    "county": "city",
    "township": "county",
    "village": "township",
}
KINDS = {"immediate", "promised", "forwarded"}
ROLES = {"clerk", "reviewer", "agent", "admin", "head"}


def _strict_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ValueError(f"duplicate keys: {sorted(duplicates)}")
    return dict(pairs)


def _no_float(text: str) -> Any:
    raise ValueError(f"float in demo data: {text}")


def _no_constant(text: str) -> Any:
    raise ValueError(f"non-finite number in demo data: {text}")


def load(name: str) -> Any:
    """Parse a demo file as strictly as the sync payload parser: no duplicates, no floats."""
    return json.loads(
        ((DEMO if name == "users.json" else SHARED) / name).read_text(encoding="utf-8"),
        object_pairs_hook=_strict_pairs,
        parse_float=_no_float,
        parse_constant=_no_constant,
    )


@pytest.fixture(scope="module")
def tree() -> dict[str, Any]:
    return load("org_tree.json")


@pytest.fixture(scope="module")
def units(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["code"]: u for u in tree["units"]}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    return load("catalogue.json")


@pytest.fixture(scope="module")
def items(catalogue: dict[str, Any]) -> list[dict[str, Any]]:
    return catalogue["items"]


@pytest.fixture(scope="module")
def users_doc() -> dict[str, Any]:
    return load("users.json")


# Org tree


def test_every_file_is_marked_as_demo(tree, catalogue, users_doc):
    assert tree["demo"] is True
    assert catalogue["demo"] is True
    assert users_doc["demo"] is True
    assert tree["source"]


def test_unit_codes_are_unique(tree):
    codes = [u["code"] for u in tree["units"]]
    assert len(codes) == len(set(codes))


def test_unit_codes_are_digits_of_the_length_of_their_level(tree):
    for unit in tree["units"]:
        assert unit["level"] in CODE_LENGTH, unit
        assert re.fullmatch(r"\d+", unit["code"]), unit
        assert len(unit["code"]) == CODE_LENGTH[unit["level"]], unit
        assert unit["name"], unit


def test_only_the_province_has_no_parent(tree):
    roots = [u for u in tree["units"] if u["parent"] is None]
    assert [u["level"] for u in roots] == ["province"]
    assert roots[0]["code"].endswith("0000")


def test_every_unit_parent_exists_one_level_up(units):
    for unit in units.values():
        if unit["parent"] is None:
            continue
        parent = units.get(unit["parent"])
        assert parent is not None, f"{unit['code']}: parent {unit['parent']} missing"
        assert parent["level"] == PARENT_LEVEL[unit["level"]], unit


def test_every_code_extends_its_parent_code(units):
    for unit in units.values():
        code, parent = unit["code"], unit["parent"]
        level = unit["level"]
        if level == "city":
            assert code[:2] == parent[:2] and code.endswith("00") and code[2:4] != "00", unit
        elif level == "county":
            assert code[:4] == parent[:4] and code[4:] != "00", unit
        elif level in ("township", "village"):
            assert code.startswith(parent), unit
            assert code[len(parent) :] != "000", unit


def test_township_part_lies_in_001_to_399_and_matches_the_name(units):
    townships = [u for u in units.values() if u["level"] == "township"]
    assert townships
    for unit in townships:
        part = int(unit["code"][6:])
        assert 1 <= part <= 399, unit
        if part <= 99:
            assert unit["name"].endswith("街道"), unit
        elif part <= 199:
            assert unit["name"].endswith("镇"), unit
        else:
            assert unit["name"].endswith("乡"), unit


def test_village_committee_kind_matches_its_code_range(units):
    villages = [u for u in units.values() if u["level"] == "village"]
    assert villages
    for unit in villages:
        part = int(unit["code"][9:])
        if part < 200:
            assert unit["name"].endswith("居民委员会"), unit
        else:
            assert unit["name"].endswith("村民委员会"), unit


def test_two_townships_have_at_least_eight_villages(units):
    counts: dict[str, int] = {}
    for unit in units.values():
        if unit["level"] == "village":
            counts[unit["parent"]] = counts.get(unit["parent"], 0) + 1
    assert sum(1 for n in counts.values() if n >= 8) >= 2


# Catalogue


def test_catalogue_has_a_version_and_a_publication_time(catalogue):
    assert catalogue["version"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", catalogue["published_at"])
    assert catalogue["note"]


def test_catalogue_has_at_least_twelve_items_of_all_three_kinds(items):
    assert len(items) >= 12
    assert {i["kind"] for i in items} == KINDS


def test_item_codes_are_unique(items):
    codes = [i["code"] for i in items]
    assert len(codes) == len(set(codes))


def test_items_publish_basis_procedure_conditions_and_result(items):
    for item in items:
        for key in ("name", "authority", "department", "result", "consult_phone"):
            assert isinstance(item[key], str) and item[key], (item["code"], key)
        for key in ("legal_basis", "procedure", "conditions", "delivery"):
            assert item[key] and all(isinstance(s, str) and s for s in item[key]), (
                item["code"],
                key,
            )
        assert isinstance(item["village_available"], bool), item["code"]


def test_route_is_non_empty_exactly_for_forwarded_items(items):
    for item in items:
        assert item["kind"] in KINDS, item["code"]
        assert (item["kind"] == "forwarded") == bool(item["route"]), item["code"]


def test_route_climbs_county_then_city_without_repeats(items):
    for item in items:
        route = item["route"]
        assert set(route) <= {"county", "city"}, item["code"]
        assert route in ([], ["county"], ["county", "city"]), item["code"]


def test_some_item_is_forwarded_up_to_the_city(items):
    assert any(i["route"] == ["county", "city"] for i in items)


def test_days_are_integers_and_promised_within_statutory(items):
    for item in items:
        statutory, promised = item["statutory_days"], item["promised_days"]
        for days in (statutory, promised):
            assert isinstance(days, int) and not isinstance(days, bool), item["code"]
            assert days >= 0, item["code"]
        assert promised <= statutory, item["code"]


def test_immediate_items_have_zero_days_and_others_a_positive_limit(items):
    for item in items:
        if item["kind"] == "immediate":
            assert item["statutory_days"] == 0 and item["promised_days"] == 0, item["code"]
        else:
            assert item["promised_days"] > 0, item["code"]


def test_fee_is_integer_fen_with_code_and_basis_exactly_when_charged(items):
    for item in items:
        fee = item["fee_fen"]
        assert isinstance(fee, int) and not isinstance(fee, bool), item["code"]
        assert fee >= 0, item["code"]
        charged = fee > 0
        assert (item["fee_code"] is not None) == charged, item["code"]
        assert (item["fee_basis"] is not None) == charged, item["code"]
        if charged:
            assert item["fee_code"] and item["fee_basis"], item["code"]


def test_at_least_one_item_charges_a_fee(items):
    assert any(i["fee_fen"] > 0 for i in items)


def test_every_item_has_three_to_seven_materials_and_a_mandatory_one(items):
    for item in items:
        materials = item["materials"]
        assert 3 <= len(materials) <= 7, item["code"]
        assert any(mat["mandatory"] is True for mat in materials), item["code"]
        for mat in materials:
            assert isinstance(mat["mandatory"], bool), (item["code"], mat)
            assert mat["name"] and mat["copies"], (item["code"], mat)
            assert isinstance(mat["note"], str), (item["code"], mat)


def test_material_codes_are_unique_within_each_item(items):
    for item in items:
        codes = [mat["code"] for mat in item["materials"]]
        assert len(codes) == len(set(codes)), item["code"]
        assert all(re.fullmatch(r"M\d\d", c) for c in codes), item["code"]


def test_some_items_are_open_to_village_agents_and_some_are_not(items):
    assert {i["village_available"] for i in items} == {True, False}


# Users


def test_the_demo_users_have_every_role(users_doc):
    roles = [u["role"] for u in users_doc["users"]]
    assert set(roles) == ROLES
    assert roles.count("clerk") >= 2 and roles.count("agent") >= 2


def test_usernames_are_unique_and_have_passwords(users_doc):
    names = [u["username"] for u in users_doc["users"]]
    assert len(names) == len(set(names))
    for user in users_doc["users"]:
        assert user["display_name"] and user["password"], user["username"]


def test_demo_township_is_a_township_of_the_tree(users_doc, units):
    township = users_doc["township"]
    assert units[township]["level"] == "township"


def test_every_user_org_exists_in_the_tree(users_doc, units):
    for user in users_doc["users"]:
        assert user["org"] in units, user["username"]


def test_agents_sit_at_villages_of_the_demo_township(users_doc, units):
    township = users_doc["township"]
    agents = [u for u in users_doc["users"] if u["role"] == "agent"]
    assert len({a["org"] for a in agents}) >= 2
    for agent in agents:
        unit = units[agent["org"]]
        assert unit["level"] == "village", agent["username"]
        assert unit["parent"] == township, agent["username"]


def test_other_users_sit_at_the_demo_township(users_doc):
    for user in users_doc["users"]:
        if user["role"] != "agent":
            assert user["org"] == users_doc["township"], user["username"]
