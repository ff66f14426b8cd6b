"""Casework of village agency points (村代办点): the agent's application at a village PC, and the
other side's events of an agency case as central's feed carries them down.

A village PC is a device of a village unit (12-digit code). Its agent applies on a resident's behalf
for the township above; the township accepts, holds and decides. Each side learns the other's
events from its feed (``township_app.feed_down``), or by USB stick through the township
(``township_app.relay``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync import events as ev
from sync.agency import is_village_code
from sync.bundle import attachments_of
from sync.errors import N_, InvalidInput, NotAllowed
from sync.fold import CaseState, apply_event
from township_app.store import Store


def record_received(store: Store, event: ev.Event) -> CaseState:
    """Append an event another device wrote, as central's feed carried it down: a village agency
    case's events at its township (the first one creates the case), the township's at the village.

    Like central's events they keep their own writer and chain and never move this device's head;
    the fold must accept them, or nothing is written.
    """
    with store.write():
        device = store.device()
        if device is None or event.writer in (device["device_id"], ev.CENTRAL_WRITER):
            raise NotAllowed(N_("该事件不能作为其他设备的记录应用。"))
        state = store.case(event.case_id)
        following = apply_event(state, event)
        if state is None and device["org_code"] not in (following.org_code, following.agency_code):
            raise NotAllowed(N_("该办件不属于本单位。"))
        store.append_event(event)
        store.save_case(following)
        for attachment in attachments_of([event]):
            if store.blob(attachment.sha256) is None:
                # The other side's scans come from central on the next sync rounds.
                store.relay.want_blob(attachment.sha256, attachment.size, attachment.media_type)
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
