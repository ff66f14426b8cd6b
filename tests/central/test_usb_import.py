"""USB import at central: blobs then bundles through the same checks, receipts back on the stick."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from central_api.stores.store import CentralStore
from sync import usb
from sync.bundle import read_receipt
from sync.signing import RECEIPT_TYPE, Envelope, b64decode, verify_envelope
from tests.support.central import FakeDevice, central_cli


def test_importing_a_stick_twice_changes_nothing_the_second_time(
    device: FakeDevice, central_store: CentralStore, central_home: Path, database_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    stick = tmp_path / "stick"
    scan = tmp_path / "scan.jpg"
    scan.write_bytes(os.urandom(300_000))
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    files = [{"sha256": digest, "size": 300_000, "media_type": "image/jpeg", "filename": "s.jpg"}]
    usb.write_blob(stick, digest, scan)
    bundles = [
        device.pack(device.forwarded_case(files=files)),
        device.pack(device.forwarded_case()),
    ]
    for sequence, envelope in enumerate(bundles, start=1):
        usb.write_bundle(stick, device.device_id, sequence, envelope)
    first = central_cli(central_home, database_url, "import", str(stick)).stdout
    assert first.count("accepted") == 2, first
    receipts = list(usb.read_receipts(stick, device.device_id))
    assert [sequence for sequence, _ in receipts] == [1, 2]
    central_public = {device.central_key_id: b64decode(device.central_public_key, "k")}
    for (sequence, raw), envelope in zip(receipts, bundles, strict=True):
        receipt = read_receipt(
            verify_envelope(Envelope.from_json(raw), RECEIPT_TYPE, central_public)
        )
        assert (receipt.sequence, receipt.bundle_hash) == (
            sequence,
            Envelope.from_json(envelope).digest,
        )
    before = central_store.counts()
    again = central_cli(central_home, database_url, "import", str(stick)).stdout
    assert again.count("duplicate") == 2, again
    assert central_store.counts() == before
    assert [raw for _, raw in usb.read_receipts(stick, device.device_id)] == [
        raw for _, raw in receipts
    ]


def test_stick_bundle_with_a_corrupted_blob_is_refused(
    device: FakeDevice, central_home: Path, database_url: str, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    data = os.urandom(1000)
    digest = hashlib.sha256(data).hexdigest()
    (stick / "bianmin" / "blobs").mkdir(parents=True)
    # Flip a bit of the last byte: replacing it with a fixed byte would leave the scan intact
    # whenever the random data already ended in that byte (1 run in 256).
    (stick / "bianmin" / "blobs" / digest).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    files = [{"sha256": digest, "size": 1000, "media_type": "image/jpeg", "filename": "s.jpg"}]
    usb.write_bundle(stick, device.device_id, 1, device.pack(device.forwarded_case(files=files)))
    out = central_cli(central_home, database_url, "import", str(stick)).stdout
    assert "attachments_missing" in out
    assert "拒收" in out
