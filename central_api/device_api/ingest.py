"""Bundles up: the verification pipeline of docs/protocol.md 13.8, in that order, for a batch.

The costly checks that need no database come first (envelope, signature, strict parse, event hashes),
on keys read without a lock. Then one transaction locks the devices and the cases concerned, reads
what it needs in a few IN (...) queries, folds every event in memory, and writes all rows with one
executemany per table. A refused bundle writes nothing (except what the protocol says a refusal
leaves behind: a quarantined bundle, a quarantined device and the alert).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from central_api.device_api import event_rules, signature_pool
from central_api.device_api.bundle_checks import (
    CheckedBundle,
    check_signature,
    parse_envelope,
    read_verified,
    refused,
)
from central_api.device_api.event_rules import EventRefused
from central_api.device_api.gc_pause import collector_paused
from central_api.errors import Refusal
from central_api.review import notifications, publish
from central_api.stores import public_store
from central_api.stores.log_store import event_values
from central_api.stores.store import CentralStore
from sync import events as ev
from sync import stages
from sync.bundle import CaseBundle, Receipt, receipt_payload
from sync.continuity import Break, DeviceHead, check_events, check_sequence
from sync.errors import DomainError
from sync.events import format_time
from sync.fold import CaseState, apply_event
from sync.signing import RECEIPT_TYPE, Envelope, SigningKey

# Rejections that mean a device contradicts what central published: the admins are told of each.
ALERTED = frozenset(
    {
        event_rules.ITEM_MISMATCH,
        event_rules.UNKNOWN_CATALOGUE_VERSION,
        event_rules.FORWARD_NOT_ALLOWED,
        event_rules.RATING_MISMATCH,
    }
)
APPLIED = "applied"
REJECTED = "rejected"


@dataclass
class _Head:
    """A device's row as the batch moves it."""

    row: dict[str, Any]
    changed: bool = False


class _Batch:
    """The state of one batch inside its transaction: what is loaded and what is to be written."""

    def __init__(
        self, store: CentralStore, c: Any, checked: list[CheckedBundle], now: datetime
    ) -> None:
        self.store, self.c, self.now = store, c, now
        self.at = format_time(now)
        bundles = [item.bundle for item in checked]
        self.heads = {
            device_id: _Head(row)
            for device_id, row in store.devices_locked(c, (b.device_id for b in bundles)).items()
        }
        self.keys = store.keys(c, (b.key_id for b in bundles))
        self.stored = store.bundles_by_hash(c, (item.bundle_hash for item in checked))
        # A bundle id names one bundle for ever (protocol 13.8): another bundle with it is refused.
        self.bundle_ids = store.bundle_ids_taken(c, (b.bundle_id for b in bundles))
        all_events = [event for b in bundles for event in b.events]
        self.states: dict[str, CaseState] = store.cases_locked(c, (e.case_id for e in all_events))
        # The states as read, before this batch: the figures change by each case's difference.
        self.before: dict[str, CaseState] = dict(self.states)
        self.present = set(self.states)
        self.event_ids = store.existing_event_ids(c, (e.event_id for e in all_events))
        numbers, versions, forwarded, rated = [], set(), set(), set()
        for e in all_events:
            if e.type == ev.REGISTERED:
                number, item = e.payload.get("case_number"), e.payload.get("item")
                if isinstance(number, str):
                    numbers.append(number)
                if isinstance(item, Mapping) and isinstance(item.get("catalogue_version"), str):
                    versions.add(item["catalogue_version"])
            elif e.type == ev.FORWARDED:
                forwarded.add(e.case_id)
            elif e.type == ev.RATED and isinstance(e.payload.get("scale_version"), str):
                rated.add(e.payload["scale_version"])
        self.numbers = store.case_numbers_taken(c, numbers)
        self.catalogues = store.published_items(c, versions)
        # The rating scales published (read only for a batch that carries ratings).
        self.rating_scales = store.rating_scales(c, rated) if rated else {}
        # The units above those that may forward here: the devices' own, and the holders of the
        # cases forwarded (a device forwards only what its unit holds; the fold refuses the rest).
        self.ancestors = (
            store.org_ancestors(
                c,
                {head.row["org_code"] for head in self.heads.values()}
                | {self.states[i].holder_code for i in forwarded if i in self.states},
            )
            if forwarded
            else {}
        )
        # Rejected events that contradict what central published: each one an alert for the admins.
        # (bundle id, device id, sequence, code) → [the first event's message, how many events]
        self.alerts: dict[tuple[str, str, int, str], list[Any]] = {}
        wanted = {a.sha256 for b in bundles for a in b.attachments}
        wanted.update(h for item in checked for h in item.files)
        self.blobs = store.complete_blobs(c, wanted)
        # Bundles accepted in this batch: their answer and their receipt's payload, to be signed.
        self.accepted: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.duplicates: list[tuple[dict[str, Any], str]] = []  # repeated within this batch
        # Events of village agency cases to carry down to the other side (township or village).
        self.fan_out: list[tuple[CaseState, ev.Event, str, str]] = []
        self.bundle_rows: list[dict[str, Any]] = []
        self.event_rows: list[tuple[Any, ...]] = []
        # The event type of each case's latest stage in this batch: a case that passes several
        # stages in one batch (a PC that was offline for a day) gets one message, of the latest.
        self.notices: dict[str, str] = {}
        self.touched: set[str] = set()

    def take(self, item: CheckedBundle) -> dict[str, Any]:
        """Run steps 3–7 on one bundle and, if it passes, fold and stage its rows.

        The receipt of an accepted bundle is signed in ``write``, once its rejected events are known.
        """
        bundle, bundle_hash = item.bundle, item.bundle_hash
        known = self.stored.get(bundle_hash)
        if known is not None or bundle_hash in self.accepted:
            result = {
                "status": "duplicate",
                "bundle_hash": bundle_hash,
                "sequence": bundle.sequence,
            }
            if known is not None:
                result["receipt"] = orjson.loads(known["receipt"])
            else:  # the same bundle twice in one batch: the receipt of its first copy
                self.duplicates.append((result, bundle_hash))
            return result
        head = self.heads[bundle.device_id]
        device = head.row
        refusal = self._refusal(item, head)
        if refusal is not None:
            return refusal
        if bundle.bundle_id in self.bundle_ids:
            return refused(
                stages.MALFORMED_PAYLOAD,
                "案卷包编号（bundle_id）已被另一个案卷包使用，每个案卷包须有新的编号。",
                bundle_hash,
            )
        self.bundle_ids.add(bundle.bundle_id)
        rejected = self._fold(bundle, item.hashes, bundle_hash, device["org_code"])
        result = {"status": "accepted", "bundle_hash": bundle_hash, "sequence": bundle.sequence}
        self.accepted[bundle_hash] = (
            result,
            receipt_payload(
                Receipt(
                    bundle_id=bundle.bundle_id,
                    bundle_hash=bundle_hash,
                    device_id=bundle.device_id,
                    sequence=bundle.sequence,
                    received_at=self.at,
                    rejected_events=tuple(rejected),
                )
            ),
        )
        self.bundle_rows.append(
            {
                "bundle_hash": bundle_hash,
                "bundle_id": bundle.bundle_id,
                "device_id": bundle.device_id,
                "org_code": device["org_code"],
                "sequence": bundle.sequence,
                "envelope": item.raw,
                "receipt": None,  # signed in ``write``
                "received_at": self.at,
                "key_id": bundle.key_id,
                "device_created_at": bundle.created_at,
            }
        )
        if bundle.events:
            device["last_writer_seq"] = bundle.events[-1].writer_seq
            device["last_event_hash"] = item.hashes[-1]
        device["last_sequence"] = bundle.sequence
        device["last_bundle_hash"] = bundle_hash
        head.changed = True
        return result

    def _refusal(self, item: CheckedBundle, head: _Head) -> dict[str, Any] | None:
        bundle, bundle_hash = item.bundle, item.bundle_hash
        device = head.row
        if device["status"] == "revoked":
            self._quarantine(item, stages.DEVICE_REVOKED)
            return refused(
                stages.DEVICE_REVOKED, "本机已被吊销：案卷包已隔离保存，不予处理。", bundle_hash
            )
        if device["status"] == "quarantined":
            return refused(
                stages.DEVICE_QUARANTINED, "本机已被隔离（发现分叉），请联系管理员。", bundle_hash
            )
        if self.keys[bundle.key_id]["retired_at"]:
            return refused(stages.KEY_RETIRED, "签名密钥已被更换。", bundle_hash)
        head_now = DeviceHead(
            device["last_sequence"],
            device["last_bundle_hash"],
            device["last_writer_seq"],
            device["last_event_hash"],
        )
        broken = check_sequence(head_now, bundle)
        if broken is not None and broken.code == stages.FORK:
            device["status"] = "quarantined"
            device["status_reason"] = f"第 {bundle.sequence} 号案卷包出现两个不同版本（分叉）"
            head.changed = True
            self._quarantine(item, stages.FORK)
        if broken is not None:
            return self._broken(broken, bundle_hash)
        required = {a.sha256: a.size for a in bundle.attachments}
        missing = sorted(
            {h for h, size in required.items() if self.blobs.get(h) != size}
            | {h for h in item.files if h not in required or h not in self.blobs}
        )
        if missing:
            return refused(
                stages.ATTACHMENTS_MISSING, "附件尚未上传完整。", bundle_hash, missing=missing
            )
        broken = check_events(
            head_now,
            bundle,
            item.hashes,
            device["org_code"],
            self.states,
            self.event_ids,
        )
        return None if broken is None else self._broken(broken, bundle_hash)

    @staticmethod
    def _broken(broken: Break, bundle_hash: str) -> dict[str, Any]:
        if broken.expected_sequence is not None:
            return refused(
                broken.code,
                broken.message,
                bundle_hash,
                expected_sequence=broken.expected_sequence,
            )
        return refused(broken.code, broken.message, bundle_hash)

    def _fold(
        self, bundle: CaseBundle, hashes: list[str], bundle_hash: str, org_code: str
    ) -> list[tuple[str, str]]:
        rejected: list[tuple[str, str]] = []
        for event, event_hash in zip(bundle.events, hashes, strict=True):
            state = self.states.get(event.case_id)
            try:
                self._central_rules(event, state)
                following = apply_event(state, event)
            except EventRefused as error:
                reason = error.message
                if error.code in ALERTED:
                    self._alert(bundle, event, error)
            except DomainError as error:
                reason = error.message
            except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
                reason = "事件内容不正确。"
            else:
                reason = ""
                self.states[event.case_id] = following
                self.touched.add(event.case_id)
                if following.agency_code is not None:
                    self.fan_out.append((following, event, bundle_hash, org_code))
                if event.type == ev.REGISTERED:
                    self.numbers[following.case_number] = event.case_id
                elif event.type in notifications.STAGES_OF:
                    self.notices[event.case_id] = event.type
            if reason:
                rejected.append((event.event_id, reason))
            self.event_ids.add(event.event_id)
            self.event_rows.append(
                event_values(
                    event,
                    event_hash,
                    org_code,
                    bundle_hash,
                    REJECTED if reason else APPLIED,
                    reason,
                    self.at,
                )
            )
        return rejected

    def _central_rules(self, event: ev.Event, state: CaseState | None) -> None:
        """Refuse what only central's own data can tell (``event_rules``): an item that is not the
        published one, a case number too long or in use, a forward past the route's next unit, a
        rating not on a published scale."""
        if event.type == ev.REGISTERED:
            event_rules.check_registered(
                event.payload, event.case_id, self.catalogues, self.numbers
            )
        elif event.type == ev.FORWARDED and state is not None:
            event_rules.check_forwarded(
                event.payload,
                list(state.item["route"]),
                len(state.opinions),
                state.holder_code,
                self.ancestors,
            )
        elif event.type == ev.RATED:
            event_rules.check_rated(event.payload, self.rating_scales)

    def _alert(self, bundle: CaseBundle, event: ev.Event, error: EventRefused) -> None:
        # One alert per bundle and kind, naming the first event: a device that sends hundreds of
        # such events tells the admins once, not hundreds of times.
        key = (bundle.bundle_id, bundle.device_id, bundle.sequence, error.code)
        if key in self.alerts:
            self.alerts[key][1] += 1
            return
        state = self.states.get(event.case_id)
        number = state.case_number if state is not None else event.payload.get("case_number")
        label = ev.EVENT_LABELS.get(event.type, event.type)
        self.alerts[key] = [f"办件 {str(number)[:40]} 的{label}事件：{error.message}", 1]

    def _quarantine(self, item: CheckedBundle, reason: str) -> None:
        bundle = item.bundle
        kept = self.store.add_quarantined_bundle(
            self.c,
            {
                "bundle_hash": item.bundle_hash,
                "device_id": bundle.device_id,
                "sequence": bundle.sequence,
                "envelope": item.raw,
                "reason": reason,
                "received_at": self.at,
            },
        )
        if not kept:
            return  # the same bytes again: the admins were told the first time
        self.store.add_alert(
            self.c,
            self.at,
            reason,
            bundle.device_id,
            f"设备 {self.heads[bundle.device_id].row['device_code']}"
            f"（{self.heads[bundle.device_id].row['org_code']}）第 {bundle.sequence} 号案卷包已隔离："
            + (
                "设备已吊销。"
                if reason == stages.DEVICE_REVOKED
                else "同一序号出现不同内容（分叉）。"
            ),
        )

    def write(self, central_key: SigningKey) -> None:
        """Write every staged row: bundles, events, cases, device heads, agency feed entries."""
        store, c = self.store, self.c
        # The receipts are signed on the pool's threads while this one writes the rows.
        signing = signature_pool.in_parallel(
            lambda payload: central_key.sign(RECEIPT_TYPE, payload),
            [payload for _, payload in self.accepted.values()],
        )
        for state, event, bundle_hash, writer_org in self.fan_out:
            publish.publish_case_event(
                store, c, central_key, state, event, bundle_hash, self.now, writer_org=writer_org
            )
        store.add_events(c, self.event_rows)
        for (_, device_id, sequence, code), (message, count) in self.alerts.items():
            device = self.heads[device_id].row
            more = f"（同一案卷包中共 {count} 个事件因此被拒绝）" if count > 1 else ""
            store.add_alert(
                c,
                self.at,
                code,
                device_id,
                f"设备 {device['device_code']}（{device['org_code']}）第 {sequence} 号案卷包中"
                f"{message}{more}",
            )
        new = [self.states[i] for i in self.touched if i not in self.present]
        changed = [self.states[i] for i in self.touched if i in self.present]
        store.save_cases(c, new, changed, self.before)
        public_store.add_notifications(
            c,
            [
                row
                for case_id, event_type in self.notices.items()
                for row in notifications.rows_for(
                    self.states[case_id], event_type, self.at, link_base=store.public_base_url
                )
            ],
        )
        store.update_devices(
            c,
            [
                {
                    "device_id": device_id,
                    **{
                        name: head.row[name]
                        for name in (
                            "status",
                            "status_reason",
                            "last_sequence",
                            "last_bundle_hash",
                            "last_writer_seq",
                            "last_event_hash",
                        )
                    },
                }
                for device_id, head in sorted(self.heads.items())
                if head.changed
            ],
        )
        receipts = {}
        for (bundle_hash, (result, _)), envelope in zip(
            self.accepted.items(), signing, strict=True
        ):
            result["receipt"] = envelope.to_dict()
            receipts[bundle_hash] = envelope.to_json()
        for result, bundle_hash in self.duplicates:
            result["receipt"] = self.accepted[bundle_hash][0]["receipt"]
        for row in self.bundle_rows:
            row["receipt"] = receipts[row["bundle_hash"]]
        store.add_bundles(c, self.bundle_rows)


def ingest_bundles(
    store: CentralStore, central_key: SigningKey, raws: Sequence[bytes], now: datetime
) -> list[dict[str, Any]]:
    """Verify and store a batch of bundle envelopes (their exact bytes); one result per bundle."""
    with collector_paused():
        return _ingest(store, central_key, raws, now)


def _ingest(
    store: CentralStore, central_key: SigningKey, raws: Sequence[bytes], now: datetime
) -> list[dict[str, Any]]:
    results: list[dict[str, Any] | None] = [None] * len(raws)
    envelopes = [parse_envelope(raw) for raw in raws]
    key_ids = {kid for e in envelopes if isinstance(e, Envelope) for kid, _ in e.signatures}
    with store.reading() as c:
        keys = store.keys(c, key_ids)
    # Each pool thread checks a bundle's signature and then parses its payload: while one thread
    # parses (holding the interpreter lock), the other verifies (which leaves it), so the two cores
    # stay busy without a third thread contending for the lock.
    outcomes = signature_pool.in_parallel(
        lambda item: _checked(*item, keys), [(i, raws[i], e) for i, e in enumerate(envelopes)]
    )
    checked: list[CheckedBundle] = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, CheckedBundle):
            checked.append(outcome)
        else:
            results[index] = outcome
    if checked:
        with store.transaction() as c:
            batch = _Batch(store, c, checked, now)
            for item in checked:
                results[item.index] = batch.take(item)
            batch.write(central_key)
    return [r for r in results if r is not None]


def _checked(
    index: int, raw: bytes, envelope: Envelope | dict[str, Any], keys: Mapping[str, Any]
) -> CheckedBundle | dict[str, Any]:
    """Steps 1–2 of one bundle: the checked bundle, or the refusal."""
    if not isinstance(envelope, Envelope):
        return envelope
    return check_signature(envelope, keys) or read_verified(index, raw, envelope, keys)


def refuse_batch(count: int, limit: int) -> None:
    """Refuse a batch larger than the protocol allows."""
    if count > limit:
        raise Refusal(stages.BATCH_TOO_LARGE, f"一次最多提交 {limit} 个案卷包。")
