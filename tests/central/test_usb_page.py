"""The admin's USB page at central, over real HTTP: a township's stick is imported, its receipts and
its unit's feed are written back in the same visit, a second visit changes nothing, and a wrong
folder is explained in Chinese. Only the admin may use it."""

from __future__ import annotations

from pathlib import Path

from central_api.store import CentralStore
from sync import usb
from tests.support.central import CentralProcess, FakeDevice
from tests.support.reviewer import PageSession


def _admin(central: CentralProcess) -> PageSession:
    admin = PageSession(central.url)
    admin.login("admin")
    return admin


def test_a_township_stick_gets_its_receipts_and_feed_back_in_one_visit(
    central: CentralProcess, central_store: CentralStore, device: FakeDevice, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    for sequence in (1, 2):
        usb.write_bundle(stick, device.device_id, sequence, device.pack(device.forwarded_case()))
    admin = _admin(central)
    page = admin.get("/admin/usb/")
    assert page.status_code == 200 and "U 盘交换" in page.text
    answer = admin.post("/admin/usb/", {"folder": str(stick)})
    assert answer.status_code == 200, answer.text[:500]
    assert "共 2 个案卷包：接收 2 个，已收过 0 个，拒收 0 个。" in answer.text
    assert [seq for seq, _ in usb.read_receipts(stick, device.device_id)] == [1, 2]
    feed = list(usb.read_feed(stick, device.org_code))
    assert feed and "条下发内容" in answer.text  # the org tree and catalogue, at least

    before = central_store.counts()
    again = admin.post("/admin/usb/", {"folder": str(stick)})
    assert "接收 0 个，已收过 2 个" in again.text
    after = central_store.counts()
    assert after.pop("audit_log") == before.pop("audit_log") + 1  # the visit itself is recorded
    assert after == before
    assert len(list(usb.read_feed(stick, device.org_code))) == len(feed)


def test_a_wrong_folder_is_explained_and_nothing_changes(
    central: CentralProcess, central_store: CentralStore, tmp_path: Path
) -> None:
    admin = _admin(central)
    before = central_store.counts()
    for folder, message in (("relative/stick", "完整路径"), ("/no/such/stick", "请插好 U 盘")):
        answer = admin.post("/admin/usb/", {"folder": folder})
        assert answer.status_code == 422 and message in answer.text
    assert central_store.counts() == before
    empty = admin.post("/admin/usb/", {"folder": str(tmp_path)})
    assert "U 盘上没有找到案卷包" in empty.text
