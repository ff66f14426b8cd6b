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
    materials: list[dict[str, Any]], proxy: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Check an agent's application: the agent's identity and the scanned entrustment (委托书)."""
    if not proxy or not proxy.get("name") or not proxy.get("id_number"):
        raise InvalidInput(N_("代办申请须填写代办员姓名和身份证号码。"), field="proxy_id_number")
    entrustment = next((m for m in materials if "委托书" in m["name"]), None)
    if entrustment is None:
        entrustment = {
            "code": ENTRUSTMENT_CODE,
            "name": N_("代办委托书"),
            "mandatory": True,
            "received": False,
            "files": [],
        }
        materials = [*materials, entrustment]
    if not entrustment["files"]:
        raise InvalidInput(
            N_("代办申请须上传申请人签字（或按手印）的委托书扫描件。"), field="entrustment"
        )
    return materials
