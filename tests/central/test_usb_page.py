"""The admin's USB page at central, over real HTTP: a township's stick is imported on a thread of
its own while the page follows it, its receipts and its unit's feed are written back in the same
visit, a second visit changes nothing, and a wrong folder is explained in Chinese."""

from __future__ import annotations

from pathlib import Path

from central_api.stores.store import CentralStore
from sync import usb
from tests.support.central import CentralProcess, FakeDevice
from tests.support.reviewer import PageSession, import_stick


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
    page_path, box = import_stick(admin, stick)
    assert "共 2 个案卷包：接收 2 个，已收过 0 个，拒收 0 个。" in box.text
    assert device.device_code in box.text and "1–2" in box.text  # the device's line
    assert [seq for seq, _ in usb.read_receipts(stick, device.device_id)] == [1, 2]
    feed = list(usb.read_feed(stick, device.org_code))
    assert feed and "条下发内容" in box.text  # the org tree and catalogue, at least
    # The import stays on record: its page shows the same, and the USB page lists it.
    assert "共 2 个案卷包" in admin.get(page_path).text
    assert page_path in admin.get("/admin/usb/").text

    before = central_store.counts()
    _, again = import_stick(admin, stick)
    assert "接收 0 个，已收过 2 个" in again.text
    after = central_store.counts()
    assert after.pop("audit_log") == before.pop("audit_log") + 1  # the visit itself is recorded
    assert after.pop("usb_imports") == before.pop("usb_imports") + 1
    assert after == before
    assert len(list(usb.read_feed(stick, device.org_code))) == len(feed)


def test_a_refused_bundle_is_listed_with_its_reason(
    central: CentralProcess, device: FakeDevice, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    usb.write_bundle(stick, device.device_id, 1, device.pack(device.forwarded_case()))
    tampered = bytearray(device.pack(device.forwarded_case()))
    tampered[len(tampered) // 2] ^= 1
    usb.write_bundle(stick, device.device_id, 2, bytes(tampered))
    _, box = import_stick(_admin(central), stick)
    assert "共 2 个案卷包：接收 1 个，已收过 0 个，拒收 1 个。" in box.text
    assert "拒收的内容" in box.text


def test_a_wrong_folder_is_explained_and_nothing_changes(
    central: CentralProcess, central_store: CentralStore, tmp_path: Path
) -> None:
    admin = _admin(central)
    before = central_store.counts()
    for folder, message in (
        ("relative/stick", "完整路径"),
        ("/no/such/stick", "请插好 U 盘"),
        ("/" + "长" * 3000, "请插好 U 盘"),  # too long a name for the file system to look up
    ):
        answer = admin.post("/admin/usb/", {"folder": folder})
        assert answer.status_code == 422 and message in answer.text
    assert central_store.counts() == before
    _, empty = import_stick(admin, tmp_path)
    assert "U 盘上没有找到案卷包" in empty.text


def test_an_unknown_import_is_not_found_in_chinese(central: CentralProcess) -> None:
    admin = _admin(central)
    for number in ("99999", "1" * 40):  # the second, beyond the database's integers
        answer = admin.get(f"/admin/usb/imports/{number}")
        assert answer.status_code == 404 and "没有找到这个页面。" in answer.text
