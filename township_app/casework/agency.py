"""Casework of village agency points (村代办点): the agent's application at a village PC, and the
other side's events of an agency case as central's feed carries them down.

A village PC is a device of a village unit (12-digit code). Its agent applies on a resident's behalf
for the township above; the township accepts, holds and decides. Each side learns the other's
events from its feed (``township_app.device_sync.feed_down``), or by USB stick through the township
(``township_app.device_sync.relay``); either way they are written through ``township_app.casework.case_log``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync import events as ev
from sync.agency import is_village_code
from sync.correction_rules import check_entrustment, entrustment_of
from sync.errors import N_, InvalidInput
from sync.fold import CaseState
from township_app.casework import case_log
from township_app.stores.store import Store


def record_received(store: Store, event: ev.Event) -> CaseState:
    """Write an event another device wrote, as central's feed carried it down: a village agency
    case's events at its township (the first one creates the case), the township's at the village.
    """
    following = case_log.write_event(store, event, case_log.Origin.FEED)
    assert following is not None  # only a relayed event is ever skipped
    return following


def is_village_pc(store: Store) -> bool:
    """Tell whether this PC sits at a village agency point (its unit is a village)."""
    device = store.device()
    return device is not None and is_village_code(device["org_code"])


ENTRUSTMENT_CODE = "WTS"  # the entrustment material of an item whose checklist names none


def with_entrustment(
    materials: list[dict[str, Any]],
    proxy: Mapping[str, Any] | None,
    *,
    scan_required: bool = True,
) -> list[dict[str, Any]]:
    """Check a proxy application's entrustment (委托书): an agent's must carry its scan and name the
    agent; a proxy at the window must hand it in (ticked or scanned). Return the materials, with
    the entrustment added when the item's checklist names none."""
    if scan_required and (not proxy or not proxy.get("name") or not proxy.get("id_number")):
        raise InvalidInput(N_("代办申请须填写代办员姓名和身份证号码。"), field="proxy_id_number")
    if entrustment_of(materials) is None:
        materials = [*materials, entrustment_material()]
    check_entrustment(materials, proxy, scan_required=scan_required)
    return materials


def entrustment_material(received: bool = False, files: list[Any] | None = None) -> dict[str, Any]:
    """Return the entrustment material of an item whose checklist names none."""
    return {
        "code": ENTRUSTMENT_CODE,
        "name": N_("代办委托书"),
        "mandatory": True,
        "received": received,
        "files": list(files or []),
    }
