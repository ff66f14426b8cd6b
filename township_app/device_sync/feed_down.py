"""Feed down: pull central's signed entries for this org unit from the cursor and apply them in order.

A page of entries and the new cursor are committed in one transaction. Each entry is verified with
the pinned central key on its own; an entry applied before (by entry id) is skipped; an entry that
cannot be applied (bad signature, rollback, not for this unit) is recorded as a feed problem for the
admin and the cursor moves past it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync import events as ev
from sync import feed
from sync.assessment_scheme import parse_scheme
from sync.catalogue_rules import check_catalogue
from sync.client import CentralClient, Offline
from sync.deadlines import YearCalendar
from sync.errors import N_, DomainError, InvalidInput
from sync.events import format_time, parse_time
from sync.public_address import check_progress_url
from sync.rating_scale import parse_scale
from sync.signing import FEED_ENTRY_TYPE, BadSignature, Envelope, verify_envelope
from sync.supervision_rules import parse_rules
from township_app.casework import agency, casework, kept_figures
from township_app.stores.store import Store

log = logging.getLogger(__name__)


class Rollback(DomainError):
    """A feed entry carries an older version than the one installed."""

    code = "rollback"


class NotForThisUnit(DomainError):
    """A feed entry's scope is another org unit."""

    code = "out_of_scope"


@dataclass
class PullResult:
    """What one pull did."""

    applied: int = 0
    skipped: int = 0
    problems: int = 0
    pages: int = 0


def pull_feed(
    store: Store,
    client: CentralClient,
    keys: Mapping[str, bytes],
    *,
    now: datetime,
    page_size: int = 200,
) -> PullResult:
    """Fetch and apply feed pages from the stored cursor until central says there is no more."""
    result = PullResult()
    sync = store.sync
    while True:
        cursor = sync.state()["feed_cursor"]
        answer = client.feed(cursor, page_size)
        entries, new_cursor = answer.get("entries"), answer.get("cursor")
        if (
            not isinstance(entries, list)
            or isinstance(new_cursor, bool)
            or not isinstance(new_cursor, int)
            or new_cursor < cursor
        ):
            raise Offline("bad answer to /feed")
        with store.write():
            for item in entries:
                seq = item.get("seq") if isinstance(item, Mapping) else None
                raw = item.get("envelope") if isinstance(item, Mapping) else item
                outcome = apply_entry(store, seq if isinstance(seq, int) else 0, raw, keys, now=now)
                setattr(result, outcome, getattr(result, outcome) + 1)
            sync.update_state(feed_cursor=new_cursor)
        result.pages += 1
        if not answer.get("more") or not entries or new_cursor == cursor:
            return result


def apply_entry(
    store: Store, seq: int, raw: Any, keys: Mapping[str, bytes], *, now: datetime
) -> str:
    """Verify and apply one feed entry; return "applied", "skipped" or "problems"."""
    sync = store.sync
    at = format_time(now)
    try:
        envelope = Envelope.from_json(raw) if isinstance(raw, bytes) else Envelope.from_dict(raw)
    except InvalidInput as error:
        text = raw if isinstance(raw, bytes) else json.dumps(raw, sort_keys=True).encode()
        digest = hashlib.sha256(text).hexdigest()
        sync.add_feed_problem(digest, seq, "", "malformed_envelope", error.message, at)
        return "problems"
    try:
        entry = feed.read_feed_entry(verify_envelope(envelope, FEED_ENTRY_TYPE, keys))
    except (BadSignature, InvalidInput) as error:
        log.warning("feed entry %s refused: %s", seq, error.code)
        sync.add_feed_problem(envelope.digest, seq, "", error.code, error.message, at)
        return "problems"
    if sync.entry_applied(entry.entry_id):
        return "skipped"
    state = sync.state()
    if not state["newest_issued_at"] or entry.issued_at > state["newest_issued_at"]:
        sync.update_state(newest_issued_at=entry.issued_at)
    store.db.execute("SAVEPOINT feed_entry")
    try:
        _apply(store, entry, at)
    except (DomainError, KeyError, TypeError, ValueError) as error:
        store.db.execute("ROLLBACK TO feed_entry")
        store.db.execute("RELEASE feed_entry")
        code = error.code if isinstance(error, DomainError) else "malformed_payload"
        message = error.message if isinstance(error, DomainError) else "下发内容格式不正确。"
        log.warning("feed entry %s not applied: %s", seq, code)
        sync.add_feed_problem(envelope.digest, seq, entry.kind, code, message, at)
        return "problems"
    store.db.execute("RELEASE feed_entry")
    sync.mark_entry_applied(entry.entry_id, seq, entry.kind, entry.issued_at, at)
    return "applied"


def _apply(store: Store, entry: feed.FeedEntry, at: str) -> None:
    sync = store.sync
    device = store.device()
    assert device is not None
    if entry.scope not in (device["org_code"], feed.EVERYONE):
        raise NotForThisUnit(N_("该下发内容不属于本单位（%(scope)s）。"), scope=entry.scope)
    body = entry.body
    state = sync.state()
    if entry.kind == feed.EVENT:
        event = entry.event
        if sync.event_exists(event.event_id) or event.writer == device["device_id"]:
            return
        # Several window PCs may serve one unit: a decision on a case registered at another PC of
        # the unit is that PC's business, not a problem here.
        if event.writer == ev.CENTRAL_WRITER:
            if store.case(event.case_id) is not None:
                casework.record_central(store, event)
        elif event.type == ev.REGISTERED or store.case(event.case_id) is not None:
            # A village agency case: the village's events at its township (the application
            # creates the case in the "from villages" queue), the township's at the village.
            agency.record_received(store, event)
    elif entry.kind == feed.CATALOGUE:
        _newer(body["serial"], state["catalogue_serial"], N_("事项目录"))
        # Checked before anything is written: a bad catalogue leaves the installed one in use, and
        # the admin reads which item and field were wrong among the feed problems.
        check_catalogue(body)
        store.install_catalogue(
            body["version"],
            body["items"],
            demo=bool(body.get("demo")),
            note=str(body.get("note", "")),
            published_at=body.get("published_at"),
            at=at,
        )
        sync.update_state(catalogue_serial=body["serial"])
    elif entry.kind == feed.ORG_TREE:
        _newer(body["serial"], state["org_tree_serial"], N_("组织机构"))
        units = body.get("units")
        if not isinstance(units, list) or not units:
            raise InvalidInput(N_("下发的组织机构格式不正确。"), field="org_tree")
        store.replace_org_units(units, demo=False)
        sync.update_state(org_tree_serial=body["serial"])
    elif entry.kind == feed.CALENDAR:
        year = YearCalendar.from_dict(body)
        installed = sync.calendar_version(year.year)
        if installed is not None and year.version < installed:
            raise Rollback(
                N_("%(year)s 年工作日历版本 %(got)s 低于已安装的 %(have)s，已拒绝（防止回退）。"),
                year=year.year,
                got=year.version,
                have=installed,
            )
        # Never stamped before central signed it: a PC whose clock is behind would otherwise put
        # the calendar before the cases it recomputes (the timeline note of sync.calendar_notes).
        store.install_calendar_year(year, max(at, entry.issued_at, key=parse_time))
        # Due days of the 差评 tasks move with the calendar: the kept figures are counted afresh.
        kept_figures.refigure(store)
    elif entry.kind == feed.RATING_SCALE:
        _newer(body["serial"], store.rating_scale_serial(), N_("评价标准"))
        # Checked as central checks it before publishing: a bad scale leaves the one in use.
        store.install_rating_scale(
            parse_scale(body), body["serial"], published_at=body.get("published_at"), at=at
        )
        # Its callback sample and rectification days count from now on, for every case.
        kept_figures.refigure(store)
    elif entry.kind == feed.SUPERVISION_RULES:
        _newer(body["serial"], store.supervision_rules_serial(), N_("监察预警规则"))
        store.install_supervision_rules(
            parse_rules(body), body["serial"], published_at=body.get("published_at"), at=at
        )
    elif entry.kind == feed.ASSESSMENT_SCHEME:
        _newer(body["serial"], store.assessment_scheme_serial(), N_("考核方案"))
        store.install_assessment_scheme(
            parse_scheme(body), body["serial"], published_at=body.get("published_at"), at=at
        )
    elif entry.kind == feed.PUBLIC_ADDRESS:
        _newer(body["serial"], store.public_address_serial(), N_("群众查询网址"))
        store.install_public_address(
            check_progress_url(body.get("progress_url")),
            body["serial"],
            published_at=body.get("published_at"),
            at=at,
        )
    elif entry.kind == feed.REVOCATION:
        if body["device_id"] == device["device_id"]:
            sync.update_state(
                revoked_at=entry.issued_at,
                revoked_after_sequence=body.get("last_valid_sequence"),
            )
            log.error("central revoked this device")


def _newer(serial: int, installed: int, what: str) -> None:
    if serial <= installed:
        raise Rollback(
            N_("下发的%(what)s版本 %(got)s 不高于已安装的 %(have)s，已拒绝（防止回退）。"),
            what=what,
            got=serial,
            have=installed,
        )
