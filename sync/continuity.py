"""Bundle continuity: whether a device's bundle follows on from what the receiver holds of it.

Two ends receive a device's bundles and must agree on what follows on: central, on every bundle up
(docs/protocol.md 13.8 steps 5 and 7), and a township, on a village PC's bundles relayed from a USB
stick. A bundle follows on when its sequence is the last one + 1 and names the last bundle's hash,
when its events continue the device's hash chain, and when every event stays inside the device's
unit (a village writes only the applicant's side of its own agency cases). These functions take
plain values and return the first break they find, or None; what a break costs (a quarantine, a
refusal, a skip) is each end's business.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sync import events as ev
from sync import stages
from sync.agency import is_village_code, village_may_write
from sync.bundle import CaseBundle


class HeldCase(Protocol):
    """The two facts of a case that scope needs (a ``CaseState`` has them)."""

    @property
    def org_code(self) -> str: ...

    @property
    def agency_code(self) -> str | None: ...


@dataclass(frozen=True)
class DeviceHead:
    """What the receiver holds of a device: its last bundle and the head of its event chain.

    None stands for "not known here": a township relaying a village PC for the first time takes
    that PC's bundle sequence and event chain from where its first bundle starts.
    """

    last_sequence: int | None
    last_bundle_hash: str | None
    last_writer_seq: int | None
    last_event_hash: str | None


@dataclass(frozen=True)
class Break:
    """Why a bundle does not follow on: a protocol error code and a message fit for a person."""

    code: str
    message: str
    expected_sequence: int | None = None  # with SEQUENCE_GAP: the sequence that would follow on
    writer_seq: int | None = None  # with CHAIN_BROKEN: the event where the chain breaks
    foreign_writer: bool = False  # with CHAIN_BROKEN: an event of another writer is in the bundle
    scope_reason: str = ""  # with OUT_OF_SCOPE on a village device: village_may_write's reason


def check_sequence(head: DeviceHead, bundle: CaseBundle) -> Break | None:
    """Check that a bundle's sequence and previous hash follow the device's last bundle.

    A sequence at or below the last one is a ``fork`` (the receiver holds other bytes under it: the
    caller has checked the bundle hash before).
    """
    if head.last_sequence is None:
        return None
    expected = head.last_sequence + 1
    if bundle.sequence < expected:
        return Break(stages.FORK, "同一序号已收到内容不同的案卷包：本机已被隔离，请联系管理员。")
    if bundle.sequence != expected:
        return Break(
            stages.SEQUENCE_GAP,
            f"案卷包序号不连续：应为 {expected}。",
            expected_sequence=expected,
        )
    if bundle.previous != head.last_bundle_hash:
        return Break(stages.PREVIOUS_MISMATCH, "案卷包的前一包摘要与服务器记录不符。")
    return None


def check_events(
    head: DeviceHead,
    bundle: CaseBundle,
    hashes: Sequence[str],
    unit_code: str,
    cases: Mapping[str, HeldCase],
    known_event_ids: Collection[str] = (),
) -> Break | None:
    """Check that a bundle's events continue the device's chain and stay inside its unit.

    ``hashes`` are the events' hashes in order, ``unit_code`` the device's org unit, ``cases`` the
    cases the receiver holds (by case id), ``known_event_ids`` the event ids it holds already. A
    case the receiver does not know at all is no scope break on a township device (the fold
    rejects the event); on a village device it is (a village writes only its own agency cases).
    """
    seq, previous = head.last_writer_seq, head.last_event_hash
    if seq is None or previous is None:
        # The first events this receiver sees of the writer: the chain starts where they start.
        first = bundle.events[0] if bundle.events else None
        seq, previous = (first.writer_seq - 1, first.prev_hash) if first else (0, "")
    seen: set[str] = set()
    orgs: dict[str, tuple[str | None, object]] = {}  # case → (org code, agency code)
    village = unit_code if is_village_code(unit_code) else None
    for event, event_hash in zip(bundle.events, hashes, strict=True):
        if event.writer != bundle.device_id:
            return _chain_break(event.writer_seq, foreign_writer=True)
        if (
            event.writer_seq != seq + 1
            or event.prev_hash != previous
            or event.event_id in known_event_ids
            or event.event_id in seen
        ):
            return _chain_break(event.writer_seq)
        seq, previous = event.writer_seq, event_hash
        seen.add(event.event_id)
        if event.type == ev.REGISTERED:
            org: str | None = str(event.payload.get("org_code"))
            agency = event.payload.get("agency_code")
            orgs.setdefault(event.case_id, (org, agency))
        else:
            held = cases.get(event.case_id)
            org, agency = (
                (held.org_code, held.agency_code)
                if held is not None
                else orgs.get(event.case_id, (None, None))
            )
        if village is not None:
            # A village agency point writes only the applicant's side of its own cases.
            reason = village_may_write(village, event.type, agency, org)
            if reason:
                return Break(
                    stages.OUT_OF_SCOPE,
                    "案卷包中有村代办点无权写入的内容（只能登记、补正、撤回、复核投诉本村代办的办件）。",
                    scope_reason=reason,
                )
        elif org is not None and org != unit_code:
            return Break(stages.OUT_OF_SCOPE, "案卷包中有不属于本单位的办件。")
    return None


def _chain_break(writer_seq: int, *, foreign_writer: bool = False) -> Break:
    return Break(
        stages.CHAIN_BROKEN,
        f"事件链不连续：第 {writer_seq} 号事件与服务器记录的本机事件链接不上。",
        writer_seq=writer_seq,
        foreign_writer=foreign_writer,
    )


def check_continuity(
    head: DeviceHead,
    bundle: CaseBundle,
    hashes: Sequence[str],
    unit_code: str,
    cases: Mapping[str, HeldCase],
    known_event_ids: Collection[str] = (),
) -> Break | None:
    """Check that a bundle follows on from the device's head: sequence, previous hash, event chain
    and scope, in that order (``check_sequence``, then ``check_events``)."""
    return check_sequence(head, bundle) or check_events(
        head, bundle, hashes, unit_code, cases, known_event_ids
    )
