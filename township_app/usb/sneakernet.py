"""USB (sneakernet) at the township: the same signed bytes as over the network, as files on a stick.

Export writes every bundle not yet acknowledged and the blobs it names; a village PC adds central's
certificate of its key, and a township PC adds central's receipts for the village bundles it relayed.
Import takes central's receipts for this device and the feed entries for this unit through exactly
the checks of the network path, and at a township relays the village bundles on the stick
(``township_app.device_sync.relay``). Doing either twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sync import usb
from sync.errors import N_, NotAllowed
from township_app.casework import agency
from township_app.casework.blobs import blob_path
from township_app.device_sync import bundles_up, device_keys, devices, feed_down, relay
from township_app.device_sync.blobs_up import BlobUnavailable
from township_app.stores.store import Store


@dataclass
class ExportResult:
    """What an export wrote."""

    bundles: int = 0
    blobs: int = 0
    unchanged: int = 0
    receipts: int = 0  # central's receipts for relayed village bundles, back to the village


@dataclass
class ImportResult:
    """What an import did."""

    receipts: int = 0
    receipts_refused: int = 0
    applied: int = 0
    skipped: int = 0
    problems: int = 0
    relayed: relay.RelayImport | None = None  # village bundles taken at a township


def export_to(
    store: Store,
    folder: Path,
    blob_root: Path,
    key_home: Path,
    *,
    now: datetime,
    for_village: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Pack what is new, then write every unacknowledged bundle and its blobs to the folder (and
    a village PC's certificate, or a township's receipts for the villages' relayed bundles).

    ``progress`` hears (files written or found already there, files in all) after each file.
    """
    if store.restore.restore_state()["restore_check"]:
        # A restored PC must not pack before central has said it is not ahead (restore.py).
        raise NotAllowed(
            N_(
                "本机刚从备份恢复，尚未与中心核对上报进度，暂不能导出案卷包。请联网同步一次；"
                "无法联网时，请运行 bianmin-township new-identity 并以文件方式重新注册本机。"
            )
        )
    key = device_keys.load_key(key_home)
    if key is not None:
        bundles_up.pack_bundles(store, key, now=now)
    device = store.device()
    result = ExportResult()
    if device is None:
        return result
    waiting = store.sync.unacknowledged()
    files = [(bundle, json.loads(bundle["attachments"])) for bundle in waiting]
    total, done = sum(1 + len(attachments) for _, attachments in files), 0
    for bundle, attachments in files:
        written = usb.write_bundle(
            folder, device["device_id"], bundle["sequence"], bytes(bundle["envelope"])
        )
        result.bundles += int(written)
        result.unchanged += int(not written)
        done += 1
        _report(progress, done, total)
        for attachment in attachments:
            source = blob_path(blob_root, attachment["sha256"])
            if not source.exists():
                raise BlobUnavailable(N_("附件文件缺失：%(sha)s…"), sha=attachment["sha256"][:12])
            result.blobs += int(usb.write_blob(folder, attachment["sha256"], source))
            done += 1
            _report(progress, done, total)
    if agency.is_village_pc(store):
        certificate = store.sync.state()["device_certificate"]
        if not certificate:
            raise NotAllowed(
                N_("本机还没有中心签发的设备证书：请联网同步一次（或重新注册）后再导出。")
            )
        usb.write_certificate(folder, device["device_id"], certificate.encode())
    else:
        result.receipts = relay.write_receipts(store, folder, for_village)
    return result


def import_from(
    store: Store,
    folder: Path,
    *,
    now: datetime,
    blob_root: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Take central's receipts for this device and the feed entries for this unit from a folder;
    at a township, also verify, apply and keep for relaying the village bundles on it.

    ``progress`` is told (files dealt with, files in all) after each receipt, feed entry and
    village bundle: the files are read first, so that the total is known from the start.
    """
    device = store.device()
    result = ImportResult()
    if device is None:
        return result
    keys = devices.central_keys(store)
    sync = store.sync
    receipts = list(usb.read_receipts(folder, device["device_id"]))
    feed = list(usb.read_feed(folder, device["org_code"]))
    relaying = blob_root is not None and not agency.is_village_pc(store)
    villages = relay.village_bundles_on(store, folder) if relaying else {}
    total = len(receipts) + len(feed) + sum(map(len, villages.values()))
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        _report(progress, done, total)

    _report(progress, 0, total)
    for sequence, raw in receipts:
        bundle = sync.bundle(sequence)
        if bundle is not None and bundle["status"] != "done":
            if bundles_up.accept_receipt(store, bundle, raw, keys, device["device_id"], now=now):
                result.receipts += 1
            else:
                result.receipts_refused += 1
        tick()
    with store.write():
        for seq, raw in feed:
            outcome = feed_down.apply_entry(store, seq, raw, keys, now=now)
            setattr(result, outcome, getattr(result, outcome) + 1)
            tick()
    if relaying and blob_root is not None:
        result.relayed = relay.import_village_bundles(
            store, folder, villages, blob_root, now=now, on_bundle=tick
        )
    return result


def _report(progress: Callable[[int, int], None] | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)
