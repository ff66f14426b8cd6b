"""Scans attached to a case's materials: stored on disk first, then recorded in the store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from sync.events import format_time
from township_app.casework.blobs import StoredScan, save_scan
from township_app.stores.store import Store

Upload = tuple[BinaryIO, str]  # the stream and the name the clerk's PC gave the file


def save_material_scans(
    store: Store,
    root: Path,
    max_bytes: int,
    material_codes: Iterable[str],
    uploads: Mapping[str, list[Upload]],
    at: object,
) -> dict[str, list[StoredScan]]:
    """Store the scans uploaded for each material code and return them by code.

    Files are fsynced before their rows are committed, so a row never names a missing file.
    """
    scans: dict[str, list[StoredScan]] = {}
    for code in material_codes:
        stored = [
            save_scan(root, stream, name, max_bytes) for stream, name in uploads.get(code, [])
        ]
        if stored:
            scans[code] = stored
    stamp = format_time(at)  # type: ignore[arg-type]
    with store.write():
        for stored in scans.values():
            for scan in stored:
                store.add_blob(scan.sha256, scan.size, scan.media_type, stamp)
    return scans
