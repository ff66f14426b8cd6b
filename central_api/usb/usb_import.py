"""USB (sneakernet) at central: import a stick's blobs and bundles through the same ingest, write
the receipts back; export a unit's feed onto a stick."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from central_api.device_api import blobs
from central_api.device_api.ingest import ingest_bundles
from central_api.errors import Refusal
from central_api.stores.store import CentralStore
from sync import feed, usb
from sync.bundle import read_receipt
from sync.signing import Envelope, strict_loads

BATCH = 500

# The steps of an import, as its progress reports them.
BLOBS, BUNDLES, FEED = "blobs", "bundles", "feed"
Progress = Callable[[str, int, int], None]  # (step, done, in all): files of the stick


def import_folder(
    store: CentralStore,
    home: Path,
    central_key: Any,
    folder: Path,
    now: datetime,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Store the stick's blobs, ingest its bundles in device and sequence order, write receipts.

    Returns one line per blob problem and per bundle: ``{"device_id", "sequence", "status", ...}``.
    The stick's folders are listed before anything is stored, so that ``progress`` knows the total
    from its first report.
    """
    tell = progress or _silent
    on_stick = list(usb.read_blobs(folder))
    found = list(usb.read_bundles(folder))
    total = len(on_stick) + len(found)
    tell(BLOBS, 0, total)
    report: list[dict[str, Any]] = []
    for done, (sha256, path) in enumerate(on_stick, 1):
        try:
            blobs.store_file(store, home, sha256, path, now)
        except Refusal as error:
            report.append({"blob": sha256, "status": "refused", "error": error.body()["error"]})
        tell(BLOBS, done, total)
    for start in range(0, len(found), BATCH):
        part = found[start : start + BATCH]
        results = ingest_bundles(store, central_key, [raw for _, _, raw in part], now)
        for (device_id, sequence, _), result in zip(part, results, strict=True):
            report.append({"device_id": device_id, "sequence": sequence, **result})
            if "receipt" in result:
                envelope = Envelope.from_dict(result["receipt"])
                receipt = read_receipt(strict_loads(envelope.payload))
                usb.write_receipt(folder, receipt.device_id, receipt.sequence, envelope.to_json())
        tell(BUNDLES, len(on_stick) + start + len(part), total)
    return report


def _silent(step: str, done: int, total: int) -> None:
    """Report no progress (the command line prints its report at the end)."""


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


@dataclass(frozen=True)
class StickExchange:
    """What one visit of a stick did, as the admin's page shows it (and keeps it, as JSON): the
    totals, one line per device whose bundles were on it, every refusal, and the feed entries
    written back for each unit."""

    accepted: int
    duplicate: int
    refused: int
    devices: list[dict[str, Any]]  # device_code, org_code, first and last sequence, counts
    problems: list[dict[str, Any]]  # device_code and sequence, or blob; code and message
    feed: dict[str, int]

    @property
    def bundles(self) -> int:
        """Return how many bundles were on the stick."""
        return self.accepted + self.duplicate + self.refused

    def to_json(self) -> str:
        """Return the summary as JSON, to be kept with the import."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> StickExchange:
        """Read a summary kept by ``to_json``."""
        return cls(**json.loads(text))


def summarize(
    lines: list[dict[str, Any]], devices: dict[str, dict[str, Any]], feed: dict[str, int]
) -> StickExchange:
    """Sum up an import's report by device (a stick may hold thousands of bundles)."""
    counts = {"accepted": 0, "duplicate": 0, "refused": 0}
    by_device: dict[str, dict[str, Any]] = {}
    problems: list[dict[str, Any]] = []
    for line in lines:
        if "blob" in line:
            problems.append({"blob": line["blob"], **_error(line)})
            continue
        device_id, status = line["device_id"], line["status"]
        known = devices.get(device_id, {})
        code = known.get("device_code") or device_id[:8]
        counts[status] += 1
        row = by_device.setdefault(
            device_id,
            {
                "device_code": code,
                "org_code": known.get("org_code", ""),
                "first": line["sequence"],
                "last": line["sequence"],
                "accepted": 0,
                "duplicate": 0,
                "refused": 0,
            },
        )
        row["first"] = min(row["first"], line["sequence"])
        row["last"] = max(row["last"], line["sequence"])
        row[status] += 1
        if status == "refused":
            problems.append({"device_code": code, "sequence": line["sequence"], **_error(line)})
    return StickExchange(**counts, devices=list(by_device.values()), problems=problems, feed=feed)


def _error(line: dict[str, Any]) -> dict[str, str]:
    error = line.get("error") or {}
    return {"code": str(error.get("code", "")), "message": str(error.get("message", ""))}


def exchange(
    store: CentralStore,
    home: Path,
    central_key: Any,
    folder: Path,
    now: datetime,
    progress: Progress | None = None,
) -> StickExchange:
    """Import a stick and put back everything that goes down on it in one visit: the receipts, and
    the feed of every unit whose devices' bundles were on it (the CLI's `import` + `export-feed`)."""
    reached = [0, 0]  # the last (done, in all), which the feed step reports again

    def noting(step: str, done: int, total: int) -> None:
        reached[:] = [done, total]
        if progress is not None:
            progress(step, done, total)

    lines = import_folder(store, home, central_key, folder, now, noting)
    on_stick = {line["device_id"] for line in lines if "device_id" in line}
    devices = {d["device_id"]: d for d in store.devices() if d["device_id"] in on_stick}
    orgs = sorted({device["org_code"] for device in devices.values()})
    noting(FEED, *reached)
    feed = {org: export_feed(store, org, folder) for org in orgs}
    return summarize(lines, devices, feed)
