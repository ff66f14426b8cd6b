"""USB (sneakernet) at central: import a stick's blobs and bundles through the same ingest, write
the receipts back; export a unit's feed onto a stick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from central_api import blobs
from central_api.errors import Refusal
from central_api.ingest import ingest_bundles
from central_api.store import CentralStore
from sync import feed, usb
from sync.bundle import read_receipt
from sync.signing import Envelope, strict_loads

BATCH = 500


def import_folder(
    store: CentralStore, home: Path, central_key: Any, folder: Path, now: datetime
) -> list[dict[str, Any]]:
    """Store the stick's blobs, ingest its bundles in device and sequence order, write receipts.

    Returns one line per blob problem and per bundle: ``{"device_id", "sequence", "status", ...}``.
    """
    report: list[dict[str, Any]] = []
    for sha256, path in usb.read_blobs(folder):
        try:
            blobs.store_file(store, home, sha256, path, now)
        except Refusal as error:
            report.append({"blob": sha256, "status": "refused", "error": error.body()["error"]})
    found = list(usb.read_bundles(folder))
    for start in range(0, len(found), BATCH):
        part = found[start : start + BATCH]
        results = ingest_bundles(store, central_key, [raw for _, _, raw in part], now)
        for (device_id, sequence, _), result in zip(part, results, strict=True):
            report.append({"device_id": device_id, "sequence": sequence, **result})
            if "receipt" in result:
                envelope = Envelope.from_dict(result["receipt"])
                receipt = read_receipt(strict_loads(envelope.payload))
                usb.write_receipt(folder, receipt.device_id, receipt.sequence, envelope.to_json())
    return report


def export_feed(store: CentralStore, org_code: str, folder: Path, after: int = 0) -> int:
    """Write a unit's feed entries (its own and those for everyone) onto a stick; return how many."""
    written = 0
    while True:
        rows = store.feed_page([org_code, feed.EVERYONE], after, 500)
        for row in rows:
            usb.write_feed_entry(folder, org_code, row["seq"], bytes(row["envelope"]))
            written += 1
        if len(rows) < 500:
            return written
        after = rows[-1]["seq"]


@dataclass
class StickExchange:
    """What one visit of a stick did: a line per blob problem and per bundle, and the feed entries
    written for each unit whose devices' bundles were on it."""

    lines: list[dict[str, Any]]
    feed: dict[str, int]
    devices: dict[str, dict[str, Any]]  # the devices whose bundles were on it, by id

    @property
    def bundles(self) -> int:
        return sum(1 for line in self.lines if "device_id" in line)

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.get("status") == status)


def exchange(
    store: CentralStore, home: Path, central_key: Any, folder: Path, now: datetime
) -> StickExchange:
    """Import a stick and put back everything that goes down on it in one visit: the receipts, and
    the feed of every unit whose devices' bundles were on it (the CLI's `import` + `export-feed`)."""
    lines = import_folder(store, home, central_key, folder, now)
    on_stick = {line["device_id"] for line in lines if "device_id" in line}
    devices = {d["device_id"]: d for d in store.devices() if d["device_id"] in on_stick}
    orgs = sorted({device["org_code"] for device in devices.values()})
    return StickExchange(lines, {org: export_feed(store, org, folder) for org in orgs}, devices)
