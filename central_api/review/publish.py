"""The feed down: what central publishes (catalogue, org tree, calendars, rating scale, supervision
rules, assessment scheme, revocations, decisions),
each entry signed on its own, and the pages a device reads from its cursor."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from central_api.stores.store import CentralStore
from sync import feed
from sync.assessment_scheme import parse_scheme
from sync.catalogue_rules import check_catalogue
from sync.deadlines import YearCalendar
from sync.errors import Conflict, DomainError, InvalidInput
from sync.events import Event, format_time
from sync.fold import CaseState
from sync.rating_scale import parse_scale
from sync.signing import SigningKey
from sync.supervision_rules import parse_rules

MAX_PAGE = 500


def append_entry(
    store: CentralStore,
    c: Connection,
    central_key: SigningKey,
    kind: str,
    scope: str,
    body: Mapping[str, Any],
    now: datetime,
) -> int:
    """Sign one feed entry and append it in the caller's transaction; return its sequence."""
    at = format_time(now)
    envelope = feed.make_feed_entry(central_key, kind=kind, scope=scope, issued_at=at, body=body)
    return store.add_feed_entry(c, scope, kind, envelope.to_json(), at)


def publish_case_event(
    store: CentralStore,
    c: Connection,
    central_key: SigningKey,
    state: CaseState,
    event: Event,
    answers_bundle: str,
    now: datetime,
    *,
    writer_org: str | None = None,
) -> int | None:
    """Carry an event of a case down to the units that hold it, in the caller's transaction.

    A central event goes to the township that holds the case; on a village agency case, every
    event also goes to the side that did not write it: the village's to the township, the
    township's and central's to the village. ``writer_org`` is the org of the device that wrote
    the event (None for central). Return the seq of a central event's entry in the township's
    feed (a decision is at the window once the township's cursor passes it), else None.
    """
    body = feed.event_body(event, answers_bundle)
    township_seq = None
    if writer_org is None:
        township_seq = append_entry(store, c, central_key, feed.EVENT, state.org_code, body, now)
    if state.agency_code is None:
        return township_seq
    scope = state.org_code if writer_org == state.agency_code else state.agency_code
    if writer_org is None or scope != writer_org:
        append_entry(store, c, central_key, feed.EVENT, scope, body, now)
    return township_seq


def publish_catalogue(
    store: CentralStore, central_key: SigningKey, catalogue: Mapping[str, Any], now: datetime
) -> int:
    """Publish a catalogue version to every device under the next serial; return the serial.

    A catalogue whose items a case could not carry is refused before anything is written.
    """
    check_catalogue(catalogue)
    version, items = catalogue["version"], catalogue["items"]
    with store.transaction() as c:
        serial = store.next_serial(c, feed.CATALOGUE)
        body = {
            "serial": serial,
            "version": version,
            "published_at": format_time(now),
            "demo": bool(catalogue.get("demo", False)),
            "note": str(catalogue.get("note", "")),
            "items": items,
        }
        try:
            text = json.dumps(body, ensure_ascii=False)
            append_entry(store, c, central_key, feed.CATALOGUE, feed.EVERYONE, body, now)
        except DomainError as error:
            raise InvalidInput(f"事项目录内容不正确：{error.message}", field="catalogue") from None
        added = store.add_catalogue_version(
            c,
            {
                "version": version,
                "serial": serial,
                "published_at": body["published_at"],
                "body": text,
            },
        )
        if not added:
            raise Conflict(f"目录版本 {version} 已经发布过，请使用新的版本号。")
    return serial


def publish_rating_scale(
    store: CentralStore, central_key: SigningKey, raw: Mapping[str, Any], now: datetime
) -> int:
    """Publish a rating scale (好差评) to every device under the next serial; return the serial.

    A bad scale, or a version published before, is refused before anything is written: a
    published version's levels never change, since the ratings made on it name it.
    """
    scale = parse_scale(raw)
    with store.transaction() as c:
        # The serial's row is locked until the end: a second publisher waits, then sees this one.
        serial = store.next_serial(c, feed.RATING_SCALE)
        if scale.version in store.rating_scales(c, [scale.version]):
            raise Conflict(f"评价标准版本 {scale.version} 已经发布过，请使用新的版本号。")
        body = {"serial": serial, "published_at": format_time(now), **scale.to_dict()}
        append_entry(store, c, central_key, feed.RATING_SCALE, feed.EVERYONE, body, now)
    return serial


def publish_supervision_rules(
    store: CentralStore, central_key: SigningKey, raw: Mapping[str, Any], now: datetime
) -> int:
    """Publish the thresholds of supervision's warnings to every device under the next serial;
    return the serial. Bad rules are refused before anything is written."""
    rules = parse_rules(raw)
    with store.transaction() as c:
        serial = store.next_serial(c, feed.SUPERVISION_RULES)
        body = {"serial": serial, "published_at": format_time(now), **rules.to_dict()}
        append_entry(store, c, central_key, feed.SUPERVISION_RULES, feed.EVERYONE, body, now)
    return serial


def publish_assessment_scheme(
    store: CentralStore, central_key: SigningKey, raw: Mapping[str, Any], now: datetime
) -> int:
    """Publish an assessment scheme (考核方案) to every device under the next serial; return the
    serial. A bad scheme, or a version published before, is refused before anything is written."""
    from central_api.stores.assessment_store import published_schemes

    scheme = parse_scheme(raw)
    with store.transaction() as c:
        serial = store.next_serial(c, feed.ASSESSMENT_SCHEME)
        if any(s.version == scheme.version for s in published_schemes(c)):
            raise Conflict(f"考核方案版本 {scheme.version} 已经发布过，请使用新的版本号。")
        body = {"serial": serial, "published_at": format_time(now), **scheme.to_dict()}
        append_entry(store, c, central_key, feed.ASSESSMENT_SCHEME, feed.EVERYONE, body, now)
    return serial


def publish_org_tree(
    store: CentralStore,
    central_key: SigningKey,
    units: list[Mapping[str, Any]],
    now: datetime,
) -> int:
    """Install the org tree and publish it to every device under the next serial."""
    for unit in units:
        if not isinstance(unit, Mapping) or not all(
            isinstance(unit.get(k), str) and unit.get(k) for k in ("code", "name", "level")
        ):
            raise InvalidInput("组织机构的每个单位须有代码、名称和层级。", field="units")
    with store.transaction() as c:
        store.replace_org_units(c, units)
        serial = store.next_serial(c, feed.ORG_TREE)
        body = {
            "serial": serial,
            "units": [
                {
                    "code": u["code"],
                    "name": u["name"],
                    "level": u["level"],
                    "parent": u.get("parent"),
                }
                for u in units
            ],
        }
        append_entry(store, c, central_key, feed.ORG_TREE, feed.EVERYONE, body, now)
    return serial


def publish_calendar(
    store: CentralStore, central_key: SigningKey, raw: Mapping[str, Any], now: datetime
) -> YearCalendar:
    """Publish one year's working-day calendar; its version must be newer than the last one."""
    calendar = YearCalendar.from_dict(raw)
    body = calendar.to_dict()
    with store.transaction() as c:
        newest = store.newest_calendar_version(c, calendar.year)
        if calendar.version <= newest:
            raise Conflict(
                f"{calendar.year} 年工作日历已发布第 {newest} 版，新发布的版本号须更大。"
            )
        store.add_calendar_version(
            c,
            {
                "year": calendar.year,
                "version": calendar.version,
                "published_at": format_time(now),
                "body": json.dumps(body, ensure_ascii=False),
            },
        )
        append_entry(store, c, central_key, feed.CALENDAR, feed.EVERYONE, body, now)
    return calendar


def feed_page(store: CentralStore, org_code: str, after: int, limit: int) -> dict[str, Any]:
    """Return the page of a unit's feed after a cursor: its own entries and those for everyone."""
    limit = max(1, min(limit, MAX_PAGE))
    rows = store.feed_page([org_code, feed.EVERYONE], max(after, 0), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "entries": [{"seq": r["seq"], "envelope": json.loads(r["envelope"])} for r in rows],
        "cursor": rows[-1]["seq"] if rows else max(after, 0),
        "more": more,
    }
