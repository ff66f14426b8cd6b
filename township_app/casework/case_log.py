"""The township's one write path for case events: fold, append and project, in one transaction.

Every case event written at this PC comes through ``CaseWriter.write`` (or ``write_event`` for one
event), whatever its origin:

- ``OWN``: this PC's new event (a clerk's registration, acceptance, forward, delivery ...). It
  takes the next place in this device's hash chain, whose head moves on; a village PC may write
  only the applicant's side of its own agency cases; a forward, and every event of a village PC,
  is queued in the outbox to go up. Its payload carries the acting staff member's hall window
  (``window_number``) when the account has one, so the window's work can be assessed.
- ``CENTRAL``: central's event (a decision, a return, an answer) carried down by the feed. It
  keeps central's writer and chain, and only central may write it.
- ``FEED``: another device's event carried down by the feed: a village agency case's events at its
  township (the first one creates the case, which must be this unit's), the township's at the
  village. The scans it names that are not here are wanted from central.
- ``RELAYED``: a village's event from a bundle on a USB stick, applied here before it is relayed
  to central unchanged. One the rules refuse is logged and skipped, not raised: central refuses it
  too and says why in its receipt, and the bundle still goes up.

In each case the event is folded onto the case's state (``sync.fold`` refuses what its rules do
not allow, with its message), appended to the log and the case's projection saved (with the 好差评
figures, 差评 tasks and callback queue kept from the states before and after, ``kept_figures``), in
one BEGIN IMMEDIATE transaction. A new event type needs its step in the fold and, if it travels in a
way the four origins do not, a line here; nothing else writes case events.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from sync import events as ev
from sync.agency import check_village_event, is_village_code
from sync.bundle import attachments_of
from sync.case_figures import CaseFigureRules
from sync.errors import N_, DomainError, NotAllowed, NotFound
from sync.events import Event, new_event
from sync.fold import CaseState, apply_event
from sync.rating_figures import FigureRules
from township_app.casework import kept_figures
from township_app.stores.store import Store

log = logging.getLogger(__name__)


class Origin(enum.Enum):
    """Where a case event written here comes from."""

    OWN = "own"  # this PC's new event
    CENTRAL = "central"  # central's event, carried by the feed
    FEED = "feed"  # another device's event, carried by the feed
    RELAYED = "relayed"  # a village's event from a bundle on a USB stick


@dataclass(frozen=True)
class Draft:
    """This PC's new event before it takes its place in the device's hash chain."""

    case_id: str
    type: str
    payload: Mapping[str, Any]
    actor: str
    at: datetime


NOT_FOUND = N_("没有找到该办件。")
WINDOW_KEY = "window_number"  # the hall window (窗口号) the acting staff member serves at


def with_window(payload: Mapping[str, Any], window_number: str) -> Mapping[str, Any]:
    """Return the payload with the acting staff member's window number added (when they have
    one and the payload does not say already): metadata every reader may ignore."""
    if not window_number or WINDOW_KEY in payload:
        return payload
    return {**payload, WINDOW_KEY: window_number}


class CaseWriter:
    """Writes case events inside one write transaction (one writer per transaction: it keeps
    this device's row, read at most once, and moves its chain head on as it writes)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._device: dict[str, Any] | None = None
        self._device_read = False
        self._rules: FigureRules | None = None
        self._case_rules: CaseFigureRules | None = None

    def rules(self) -> FigureRules:
        """Return the rules of the kept figures (due days, the callback sample) as installed,
        read at most once in this transaction."""
        if self._rules is None:
            self._rules = kept_figures.figure_rules(self.store)
        return self._rules

    def case_rules(self) -> CaseFigureRules:
        """Return the rules of the casework figures (the installed calendar), read at most once
        in this transaction."""
        if self._case_rules is None:
            self._case_rules = kept_figures.case_figure_rules(self.store)
        return self._case_rules

    def device(self) -> dict[str, Any] | None:
        """Return this device's row as read in this transaction (None before `init`)."""
        if not self._device_read:
            self._device, self._device_read = self.store.device(), True
        return self._device

    @overload
    def write(self, event: Draft, origin: Origin) -> CaseState: ...
    @overload
    def write(self, event: Event, origin: Origin) -> CaseState | None: ...

    def write(self, event: Event | Draft, origin: Origin) -> CaseState | None:
        """Fold, append and project one event of the given origin and return the case's new state
        (None for a relayed event the rules refuse, which is logged and skipped)."""
        if isinstance(event, Draft):
            if origin is not Origin.OWN:
                raise TypeError("only this PC's own event comes as a draft")
            return self._own(event)
        if origin is Origin.CENTRAL:
            return self._central(event)
        if origin is Origin.FEED:
            return self._fed(event)
        if origin is Origin.RELAYED:
            return self._relayed(event)
        raise TypeError("this PC's own event comes as a draft")

    def _own(self, draft: Draft) -> CaseState:
        store, device = self.store, self.device()
        if device is None:
            raise NotAllowed(N_("本机尚未初始化，请联系信息化人员运行 bianmin-township init。"))
        state = store.case(draft.case_id)
        if state is None and draft.type != ev.REGISTERED:
            raise NotFound(NOT_FOUND)
        event = new_event(
            case_id=draft.case_id,
            writer=device["device_id"],
            writer_seq=device["writer_seq"] + 1,
            prev_hash=device["last_hash"],
            actor=draft.actor,
            type=draft.type,
            payload=with_window(self._named(draft), store.window_of(draft.actor)),
            at=draft.at,
        )
        village_pc = is_village_code(device["org_code"])
        if village_pc:
            # A village PC writes only the applicant's side of its own agency cases; the window's
            # decisions are the township's (central refuses them from a village device too).
            check_village_event(device["org_code"], event, state.agency_code if state else None)
        following = apply_event(state, event)
        store.append_event(event)
        store.advance_writer(event.writer_seq, event.hash)
        self._project(state, following)
        if event.type == ev.FORWARDED or village_pc:
            # A forward goes up to be decided; every event of a village PC goes up to its township.
            store.enqueue_outbox(event.case_id, event.event_id, event.at)
        device["writer_seq"], device["last_hash"] = event.writer_seq, event.hash
        return following

    def _named(self, draft: Draft) -> Mapping[str, Any]:
        # The staff member's name as it is when they act (docs/protocol.md, "actor_name"): central
        # and the other devices show it where a person reads who acted, and it stays right in the
        # record after the account is renamed or removed.
        if "actor_name" in draft.payload:
            return draft.payload
        user = self.store.user_by_username(draft.actor)
        name = str(user["display_name"]).strip() if user else ""
        return {**draft.payload, "actor_name": name} if name else draft.payload

    def _central(self, event: Event) -> CaseState:
        # Central's events keep their own writer and chain; they never move this device's head.
        if event.writer != ev.CENTRAL_WRITER:
            raise NotAllowed(N_("只有上级审批单位才能作出审批或退回决定。"))
        state = self.store.case(event.case_id)
        if state is None:
            raise NotAllowed(NOT_FOUND)
        return self._append(event, state, apply_event(state, event))

    def _fed(self, event: Event) -> CaseState:
        device = self.device()
        if device is None or event.writer in (device["device_id"], ev.CENTRAL_WRITER):
            raise NotAllowed(N_("该事件不能作为其他设备的记录应用。"))
        state = self.store.case(event.case_id)
        following = apply_event(state, event)
        if state is None and device["org_code"] not in (following.org_code, following.agency_code):
            raise NotAllowed(N_("该办件不属于本单位。"))
        self._append(event, state, following)
        for attachment in attachments_of([event]):
            if self.store.blob(attachment.sha256) is None:
                # The other side's scans come from central on the next sync rounds.
                self.store.relay.want_blob(
                    attachment.sha256, attachment.size, attachment.media_type
                )
        return following

    def _relayed(self, event: Event) -> CaseState | None:
        state = self.store.case(event.case_id)
        try:
            following = apply_event(state, event)
        except DomainError as refusal:
            # Central will refuse it too and say why in its receipt; the bundle still goes up.
            log.warning("relayed event %s not applied here: %s", event.event_id, refusal.code)
            return None
        return self._append(event, state, following)

    def _append(self, event: Event, before: CaseState | None, following: CaseState) -> CaseState:
        self.store.append_event(event)
        self._project(before, following)
        return following

    def _project(self, before: CaseState | None, following: CaseState) -> None:
        # The case's row, and what the 好差评 pages keep of it (figures, 差评 tasks, callbacks):
        # the state before the event is at hand only here, so the kept figures change here too.
        self.store.save_case(following)
        kept_figures.project(self.store, before, following, self.rules(), self.case_rules())


@contextmanager
def writing(store: Store) -> Iterator[CaseWriter]:
    """Open one write transaction (BEGIN IMMEDIATE) to write case events in."""
    with store.write():
        yield CaseWriter(store)


@overload
def write_event(store: Store, event: Draft, origin: Origin) -> CaseState: ...
@overload
def write_event(store: Store, event: Event, origin: Origin) -> CaseState | None: ...


def write_event(store: Store, event: Event | Draft, origin: Origin) -> CaseState | None:
    """Fold, append and project one case event in its own write transaction (see ``CaseWriter``)."""
    with writing(store) as writer:
        return writer.write(event, origin)
