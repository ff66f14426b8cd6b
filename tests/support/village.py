"""A village agency point's PC for tests: a demo data folder set up for a village, and its agent.

To set up a village PC in a test (the lead's full-loop test does the same):

    home = make_village_home(demo_home_template, tmp_path / "village")   # device at 东解甲庄村
    code = issue_code(central_home, central_url_db, org_code=VILLAGE)    # a code for the village
    township_cli(home, "enroll", "--server", central.url, "--code", code)
    village = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    agent = Browserless(village.url); agent.login("daiban")
    case_path = register_by_agent(agent, "370613-MZ-003")

The same without tests: `bianmin-township init --org 370613004201`, `bianmin-township load-demo`,
then `bianmin-township enroll --server URL --code CODE` with a code issued for 370613004201.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

from tests.support.township import Browserless, copy_home

VILLAGE = "370613004201"  # 东解甲庄村民委员会, of 解甲庄街道 (370613004); demo agent `daiban`
OTHER_VILLAGE = "370613004209"  # 朱柳村民委员会; demo agent `daiban2`
AGENT_ID = "37061319850101123X"  # the agent's own (invented) ID number, as typed on the form
APPLICANT_ID = "11010519491231002X"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

_CATALOGUE = json.loads(
    (Path(__file__).resolve().parents[2] / "sync/demo/catalogue.json").read_text("utf-8")
)
ITEMS = {item["code"]: item for item in _CATALOGUE["items"]}


def make_village_home(template: Path, target: Path, village: str = VILLAGE) -> Path:
    """Copy a demo data folder and make it a fresh PC of a village agency point."""
    from sync.case_numbers import device_code_from_id
    from township_app.backup.upgrade import open_migrated

    home = copy_home(template, target)
    store = open_migrated(home / "township.db")
    try:
        device_id = str(uuid.uuid4())
        store.db.execute(
            "UPDATE device SET device_id = ?, device_code = ?, org_code = ? WHERE id = 1",
            [device_id, device_code_from_id(device_id), village],
        )
        store.db.conn.commit()
    finally:
        store.close()
    return home


def agent_form(item_code: str, **fields: str) -> list[tuple[str, str]]:
    """The intake form as a village agent fills it in (every material handed over)."""
    values = {
        "case_id": str(uuid.uuid4()),
        "name": "李四",
        "id_number": APPLICANT_ID,
        "phone": "13912345678",
        "address": "东解甲庄村8号",
        "proxy_name": "李秀英",
        "proxy_id_number": AGENT_ID,
        "proxy_phone": "13700000000",
        **fields,
    }
    return list(values.items()) + [("received", m["code"]) for m in ITEMS[item_code]["materials"]]


def entrustment_code(item_code: str) -> str:
    """The code of an item's entrustment material (委托书)."""
    return next(m["code"] for m in ITEMS[item_code]["materials"] if "委托书" in m["name"])


def register_by_agent(
    agent: Browserless, item_code: str, *, scan: bytes = PNG, **fields: str
) -> str:
    """Register an application with the entrustment scanned; return the case page's path."""
    response = agent.post(
        f"/intake/new/{item_code}",
        agent_form(item_code, **fields),
        files={f"scan_{entrustment_code(item_code)}": ("wts.png", io.BytesIO(scan), "image/png")},
    )
    assert response.status_code == 200, response.text[:800]
    path = "/" + response.url.split("127.0.0.1", 1)[1].split("/", 1)[1]
    assert path.startswith("/cases/"), path
    return path


def register_in_folder(home: Path, item_code: str, *, name: str = "李四") -> tuple[str, str]:
    """Register an agent's application in a village PC's data folder (no server needed), with
    the entrustment scanned; return (case id, case number)."""
    from sync.events import utc_now
    from township_app.backup.upgrade import open_migrated
    from township_app.casework import casework
    from township_app.casework.blobs import save_scan

    store = open_migrated(home / "township.db")
    try:
        device = store.device()
        assert device is not None
        item = store.item(item_code)
        assert item is not None
        scan = save_scan(home / "blobs", io.BytesIO(PNG + uuid.uuid4().bytes), "wts.png", 1 << 20)
        with store.write():
            store.add_blob(scan.sha256, scan.size, scan.media_type, "2026-01-01T00:00:00.000Z")
        materials = casework.materials_checklist(
            item, [m["code"] for m in item["materials"]], {entrustment_code(item_code): [scan]}
        )
        state, _ = casework.register_case(
            store,
            case_id=str(uuid.uuid4()),
            item_code=item_code,
            applicant={
                "name": name,
                "id_number": APPLICANT_ID,
                "phone": "13912345678",
                "address": "东解甲庄村8号",
                "village_code": device["org_code"],
            },
            proxy={"name": "李秀英", "id_number": AGENT_ID, "phone": "", "relation": "代办员"},
            materials=materials,
            green_channel=False,
            actor=casework.Actor("daiban", "agent", device["org_code"]),
            now=utc_now(),
        )
    finally:
        store.close()
    return state.case_id, state.case_number
