"""A PC enrolled by file, with no server named, exchanges by USB stick: its sync rounds do not
try the network, and the header and the sync page show the USB state, never "无法连接中心服务器"."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.syncfakes import FakeCentral
from township_app.device_sync import devices, worker
from township_app.stores.store import Store
from township_app.stores.sync_store import SyncStore


def _enroll_by_file(store: Store, home: Path) -> None:
    central = FakeCentral()
    request = devices.enrollment_request(store, home, "CODE-1", "窗口1号机")
    devices.complete_enrollment(store, home, central.enroll(json.loads(request)), server_url="")


def _config(home: Path, **more: str) -> dict:
    return {"HOME": str(home), "BLOB_DIR": str(home / "blobs"), **more}


def test_a_pc_enrolled_by_file_never_records_that_central_cannot_be_reached(store, demo_home):
    _enroll_by_file(store, demo_home)
    for _ in range(3):
        report = worker.sync_round(store, _config(demo_home))
        assert report.by_file and not report.offline and not report.errors
        assert report.lines() == [
            "本机以文件方式注册，用 U 盘交换：bianmin-township export / import (enrolled by file)"
        ]
    state = SyncStore(store).state()
    assert state["last_error"] == "" and state["failures"] == 0
    status = SyncStore(store).header_status()
    assert status["by_file"] and status["bundles_to_carry"] == 0


def test_a_server_named_in_the_settings_makes_it_sync_over_the_network(store, demo_home):
    _enroll_by_file(store, demo_home)
    report = worker.sync_round(store, _config(demo_home, CENTRAL_URL="http://127.0.0.1:9"))
    assert report.offline and not report.by_file


def test_the_header_and_sync_page_show_the_usb_state_not_offline(store, demo_home):
    from township_app import create_app

    _enroll_by_file(store, demo_home)
    worker.sync_round(store, _config(demo_home))
    app = create_app({"HOME": str(demo_home), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    done = client.post("/auth/login", data={"username": "chuangkou", "password": "demo-clerk-2026"})
    assert done.status_code == 303
    page = client.get("/sync/").get_data(as_text=True)
    header = page[page.index('id="sync-status"') :]
    header = header[: header.index("</a>")]
    assert "U 盘交换" in header and "待带到中心 0 个案卷包" in header and "尚未导入" in header
    assert "离线" not in header
    assert 'id="usb-mode"' in page and "无法连接中心服务器" not in page
