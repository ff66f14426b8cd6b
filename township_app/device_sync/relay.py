"""USB relay at the township: a village PC's bundles from a stick, verified offline with central's
certificate of its key, applied here at once, and relayed to central unchanged by the next push.

A village with no network exports its bundles, its certificate and the scans onto a stick; the
township imports it. Each bundle is checked as central would check it (the certificate against the
pinned central key, the bundle's signature against the certified key, the sequence and the village's
event chain, the village's scope), its events go into the "from villages" queue at once, and its
exact bytes wait in ``relay_bundles`` for the next push. Central's receipts are kept and written
back onto the stick by the township's next export, for the village to import. Importing the same
stick twice changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sync import stages, usb
from sync.agency import DeviceCertificate, read_device_certificate, township_of
from sync.bundle import CaseBundle, read_bundle, read_receipt
from sync.client import CentralClient
from sync.continuity import DeviceHead, check_events, check_sequence
from sync.errors import N_, DomainError, InvalidInput
from sync.events import GENESIS_HASH, format_time
from sync.signing import BUNDLE_TYPE, RECEIPT_TYPE, Envelope, verify_envelope
from township_app.casework import case_log
from township_app.casework.blobs import blob_path, save_scan
from township_app.device_sync import devices
from township_app.stores.store import Store

log = logging.getLogger(__name__)

MAX_SCAN_BYTES = 64 * 1024 * 1024  # a scan the village accepted is never larger; a stick may lie


class RelayRefused(DomainError):
    """A village's bundle on a stick did not pass the township's checks; nothing of it is kept."""

    code = "relay_refused"


@dataclass
class RelayImport:
    """What importing a stick's village bundles did."""

    bundles: int = 0  # relayed now (applied here and waiting to go up)
    unchanged: int = 0  # seen before
    events: int = 0  # events applied to cases here
    refused: list[str] = field(default_factory=list)  # one message per refused bundle or device


VillageBundles = dict[str, list[tuple[int, bytes]]]  # village device id → (sequence, envelope)


def village_bundles_on(store: Store, folder: Path) -> VillageBundles:
    """Read the village bundles on a stick (every bundle but this PC's own), by device."""
    device = store.device()
    by_device: VillageBundles = {}
    for device_id, sequence, raw in usb.read_bundles(folder):
        if device is not None and device_id != device["device_id"]:
            by_device.setdefault(device_id, []).append((sequence, raw))
    return by_device


def import_village_bundles(
    store: Store,
    folder: Path,
    by_device: VillageBundles,
    blob_root: Path,
    *,
    now: datetime,
    on_bundle: Callable[[], None] = lambda: None,
) -> RelayImport:
    """Verify, apply and keep for relaying the village bundles read from a stick with
    ``village_bundles_on``; ``on_bundle`` is called after each one is dealt with (applied, already
    there, refused or skipped behind a refusal)."""
    result = RelayImport()
    device = store.device()
    if device is None:
        return result
    keys = devices.central_keys(store)
    for device_id, bundles_of_device in sorted(by_device.items()):
        try:
            certificate, raw_cert = _certificate(store, folder, device_id, keys, device["org_code"])
        except DomainError as error:
            result.refused.append(f"{device_id[:8]}…：{error.message}")
            for _ in bundles_of_device:
                on_bundle()
            continue
        for done, (sequence, raw) in enumerate(sorted(bundles_of_device), start=1):
            try:
                applied = _relay_one(store, certificate, raw_cert, raw, folder, blob_root, now)
            except DomainError as error:
                log.warning("village bundle %s/%s refused: %s", device_id[:8], sequence, error.code)
                result.refused.append(f"{certificate.org_code} 第 {sequence} 号：{error.message}")
                for _ in range(len(bundles_of_device) - done + 1):  # this one and those behind it
                    on_bundle()
                break  # the later bundles of this PC chain onto this one
            if applied is None:
                result.unchanged += 1
            else:
                result.bundles += 1
                result.events += applied
            on_bundle()
    return result


def _certificate(
    store: Store, folder: Path, device_id: str, keys: Mapping[str, bytes], own_org: str
) -> tuple[DeviceCertificate, bytes]:
    raw = usb.read_certificate(folder, device_id)
    known = store.relay.relay_device(device_id)
    if raw is None and known is not None:
        raw = bytes(known["certificate"])
    if raw is None:
        raise RelayRefused(N_("U盘上没有该村代办点电脑的设备证书，请在村代办点重新导出。"))
    try:
        certificate = read_device_certificate(raw, keys)
    except DomainError:
        raise RelayRefused(N_("设备证书无效（不是中心签发的，或已被改动）。")) from None
    if certificate.device_id != device_id:
        raise RelayRefused(N_("设备证书与案卷包所属的电脑不符。"))
    if not certificate.is_village or township_of(certificate.org_code) != own_org:
        raise RelayRefused(N_("该电脑不是本乡镇（街道）所属村代办点的电脑。"))
    return certificate, raw


def _relay_one(
    store: Store,
    certificate: DeviceCertificate,
    raw_certificate: bytes,
    raw: bytes,
    folder: Path,
    blob_root: Path,
    now: datetime,
) -> int | None:
    """Check and keep one bundle; return how many events it applied here, None if seen before."""
    relay = store.relay
    try:
        envelope = Envelope.from_json(raw)
    except (InvalidInput, ValueError):
        raise RelayRefused(N_("案卷包文件已损坏。")) from None
    if relay.has_bundle(envelope.digest):
        return None
    try:
        bundle = read_bundle(
            verify_envelope(envelope, BUNDLE_TYPE, {certificate.key_id: certificate.public_key})
        )
    except DomainError:
        raise RelayRefused(N_("案卷包签名无效：数据被改动，或不是该电脑签名的。")) from None
    if (bundle.device_id, bundle.key_id) != (certificate.device_id, certificate.key_id):
        raise RelayRefused(N_("案卷包写明的电脑或密钥与签名不符。"))
    head = relay.relay_device(certificate.device_id)
    known = _device_head(head)
    broken = check_sequence(known, bundle)
    if broken is not None and broken.code == stages.FORK:
        return None  # an older bundle, relayed before under its first bytes: central decides
    if broken is not None:
        raise RelayRefused(
            N_("案卷包不连续（应为第 %(n)s 号）：请在村代办点重新导出全部未确认的案卷包。"),
            n=(known.last_sequence or 0) + 1,
        )
    _check_events(store, certificate, bundle, known)
    _copy_scans(store, bundle, folder, blob_root, now)
    last = bundle.events[-1] if bundle.events else None
    previous = dict(head) if head else {"last_writer_seq": 0, "last_event_hash": GENESIS_HASH}
    with store.write():
        applied = _apply_events(store, bundle)
        relay.add_bundle(
            {
                "device_id": bundle.device_id,
                "sequence": bundle.sequence,
                "bundle_hash": envelope.digest,
                "org_code": certificate.org_code,
                "attachments": [
                    {"sha256": a.sha256, "size": a.size, "media_type": a.media_type}
                    for a in bundle.attachments
                ],
                "envelope": raw,
                "imported_at": format_time(now),
            }
        )
        relay.save_relay_device(
            {
                "device_id": certificate.device_id,
                "org_code": certificate.org_code,
                "key_id": certificate.key_id,
                "certificate": raw_certificate,
                "last_sequence": bundle.sequence,
                "last_bundle_hash": envelope.digest,
                "last_writer_seq": last.writer_seq if last else previous["last_writer_seq"],
                "last_event_hash": last.hash if last else previous["last_event_hash"],
            }
        )
    return applied


def _device_head(head: Mapping[str, Any] | None) -> DeviceHead:
    """Return what this township holds of a village PC: nothing yet, or its last bundle and, once
    one of its events came this way, the head of its event chain (its earlier events may have
    gone up to central directly)."""
    if head is None:
        return DeviceHead(None, None, None, None)
    if not head["last_writer_seq"]:
        return DeviceHead(head["last_sequence"], head["last_bundle_hash"], None, None)
    return DeviceHead(
        head["last_sequence"],
        head["last_bundle_hash"],
        head["last_writer_seq"],
        head["last_event_hash"],
    )


def _check_events(
    store: Store, certificate: DeviceCertificate, bundle: CaseBundle, head: DeviceHead
) -> None:
    cases = {}
    for event in bundle.events:
        if event.case_id not in cases:
            cases[event.case_id] = store.case(event.case_id)
    held = {case_id: state for case_id, state in cases.items() if state is not None}
    hashes = [event.hash for event in bundle.events]
    broken = check_events(head, bundle, hashes, certificate.org_code, held)
    if broken is None:
        return
    if broken.code == stages.OUT_OF_SCOPE:
        raise RelayRefused(
            broken.scope_reason or N_("该电脑不是本乡镇（街道）所属村代办点的电脑。")
        )
    if broken.foreign_writer:
        raise RelayRefused(N_("案卷包中有其他电脑写的事件。"))
    raise RelayRefused(N_("该电脑的事件链不连续。"))


def _copy_scans(
    store: Store, bundle: CaseBundle, folder: Path, blob_root: Path, now: datetime
) -> None:
    for attachment in bundle.attachments:
        if store.blob(attachment.sha256) and blob_path(blob_root, attachment.sha256).exists():
            continue
        source = folder / usb.ROOT / "blobs" / attachment.sha256
        if not source.is_file():
            raise RelayRefused(N_("U盘上缺少材料扫描件：%(sha)s…"), sha=attachment.sha256[:12])
        with open(source, "rb") as stream:
            scan = save_scan(blob_root, stream, attachment.sha256[:12], MAX_SCAN_BYTES)
        if (scan.sha256, scan.size) != (attachment.sha256, attachment.size):
            raise RelayRefused(N_("U盘上的材料扫描件已损坏：%(sha)s…"), sha=attachment.sha256[:12])
        with store.write():
            store.add_blob(scan.sha256, scan.size, scan.media_type, format_time(now))


def _apply_events(store: Store, bundle: CaseBundle) -> int:
    sync = store.sync
    writer = case_log.CaseWriter(store)  # inside the caller's write transaction
    applied = 0
    for event in bundle.events:
        if sync.event_exists(event.event_id):
            continue
        if writer.write(event, case_log.Origin.RELAYED) is not None:
            applied += 1
    return applied


def push_relayed(
    store: Store, client: CentralClient, keys: Mapping[str, bytes], *, now: datetime
) -> int:
    """Send the relayed village bundles to central, verbatim, and keep its receipts; return how
    many central acknowledged."""
    relay = store.relay
    done = 0
    while True:
        rows = relay.waiting(100)
        if not rows:
            return done
        answers = client.push_bundles([bytes(row["envelope"]) for row in rows])
        progressed = False
        for row, answer in zip(rows, answers, strict=True):
            outcome = _take_answer(store, row, answer, keys, now)
            done += outcome == "done"
            progressed = progressed or outcome != "waiting"
        if not progressed:
            return done


def _take_answer(
    store: Store, row: Mapping[str, Any], answer: Any, keys: Mapping[str, bytes], now: datetime
) -> str:
    relay = store.relay
    status = answer.get("status") if isinstance(answer, Mapping) else None
    if status in ("accepted", "duplicate"):
        try:
            envelope = Envelope.from_dict(answer.get("receipt"))
            receipt = read_receipt(verify_envelope(envelope, RECEIPT_TYPE, keys))
        except (DomainError, KeyError, TypeError, ValueError):
            with store.write():
                relay.note_attempt(row["bundle_hash"], "bad_receipt", "回执签名无效")
            return "waiting"
        if (receipt.bundle_hash, receipt.device_id) != (row["bundle_hash"], row["device_id"]):
            with store.write():
                relay.note_attempt(row["bundle_hash"], "bad_receipt", "回执与案卷包不符")
            return "waiting"
        with store.write():
            relay.mark_done(row["bundle_hash"], envelope.to_json(), format_time(now))
        return "done"
    error = answer.get("error") if isinstance(answer, Mapping) else None
    error = error if isinstance(error, Mapping) else {}
    code, message = str(error.get("code", "bad_answer")), str(error.get("message", ""))
    with store.write():
        if status == "refused" and code not in stages.RETRYABLE:
            relay.mark_refused(row["bundle_hash"], code, message)
            return "refused"
        relay.note_attempt(row["bundle_hash"], code, message)
    return "waiting"


def relay_waiting(store: Store) -> bool:
    """Tell whether village bundles wait to be relayed to central."""
    return bool(store.relay.waiting(1, columns="bundle_hash"))


def scans_wanted(store: Store) -> bool:
    """Tell whether scans of the other side of an agency case wait to be fetched from central."""
    return bool(store.relay.wanted_blobs(1))


def relay_attachments(store: Store) -> list[dict[str, Any]]:
    """Return the attachments the waiting relayed bundles name (uploaded before they go up)."""
    return [
        attachment
        for row in store.relay.waiting(10_000, columns="attachments")
        for attachment in json.loads(row["attachments"])
    ]


def pull_village_feeds(store: Store, client: CentralClient, *, page_size: int = 200) -> int:
    """Keep the feed entries of every village relayed for, to carry down on its next stick;
    return how many were new."""
    relay = store.relay
    kept = 0
    for village in relay.relay_villages():
        while True:
            cursor = relay.feed_cursor(village)
            answer = client.feed(cursor, page_size, scope=village)
            entries, new_cursor = answer.get("entries"), answer.get("cursor")
            if not isinstance(entries, list) or not isinstance(new_cursor, int):
                break
            page = [
                (int(item["seq"]), Envelope.from_dict(item["envelope"]).to_json())
                for item in entries
                if isinstance(item, Mapping) and isinstance(item.get("seq"), int)
            ]
            with store.write():
                relay.add_feed_page(village, page, max(new_cursor, cursor))
            kept += len(page)
            if not answer.get("more") or not entries or new_cursor <= cursor:
                break
    return kept


def write_receipts(store: Store, folder: Path, org_code: str = "") -> int:
    """Put central's receipts for relayed bundles, and the villages' feeds, on a stick (of one
    village, or all); return how many receipts were new there."""
    written = 0
    for row in store.relay.receipts(org_code):
        written += usb.write_receipt(
            folder, row["device_id"], row["sequence"], bytes(row["receipt"])
        )
    # And what central sent the village meanwhile (the township's decisions, the county's, the
    # catalogue): the village verifies each entry with its own pinned central key.
    for row in store.relay.feed_entries(org_code):
        usb.write_feed_entry(folder, row["org_code"], row["seq"], bytes(row["envelope"]))
    return written
