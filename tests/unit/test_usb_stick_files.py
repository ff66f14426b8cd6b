"""The files of a stick: what this software wrote is read in order; what other systems leave beside
it (a Mac's ``._`` files, Windows Explorer's copies, a half-written ``.part``) is passed over."""

from __future__ import annotations

from pathlib import Path

from sync import usb


def _stray(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"not ours")


def test_only_the_files_this_software_writes_are_read_from_a_stick(tmp_path: Path) -> None:
    stick = tmp_path
    for sequence in (2, 1, 100_000_000):  # the last one outgrows the eight digits of its name
        usb.write_bundle(stick, "device-a", sequence, b"bundle %d" % sequence)
        usb.write_receipt(stick, "device-a", sequence, b"receipt %d" % sequence)
    usb.write_feed_entry(stick, "370613004", 7, b"entry 7")
    scan = tmp_path / "scan"
    scan.write_bytes(b"scan")
    usb.write_blob(stick, "ab" * 32, scan)
    root = stick / usb.ROOT
    for folder in (root / "bundles" / "device-a", root / "receipts" / "device-a"):
        _stray(folder, "._00000001.dsse.json", "00000001 (2).dsse.json", "00000003.dsse.json.part")
    _stray(root / "feed" / "370613004", "._0000000007.dsse.json", "０７.dsse.json")
    _stray(root / "blobs", "._" + "ab" * 32, "ab" * 32 + ".part", "AB" * 32, ".DS_Store")
    _stray(root / "bundles" / "._device-a")
    (root / "bundles" / ".Trashes").mkdir()

    assert [(d, s) for d, s, _ in usb.read_bundles(stick)] == [
        ("device-a", 1),
        ("device-a", 2),
        ("device-a", 100_000_000),
    ]
    assert [s for s, _ in usb.read_receipts(stick, "device-a")] == [1, 2, 100_000_000]
    assert list(usb.read_feed(stick, "370613004")) == [(7, b"entry 7")]
    assert [name for name, _ in usb.read_blobs(stick)] == ["ab" * 32]
