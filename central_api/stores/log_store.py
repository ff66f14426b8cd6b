"""SQL of the case log at central: stored bundles, events, case projections, the feed, chain heads.

Ingest reads and writes whole batches: one IN (...) query per kind of row and one executemany per
table, never one round trip per event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, bindparam, insert, select, update

from central_api.device_api.event_rules import published_item
from central_api.stores import figure_store
from central_api.stores import schema as t
from sync.case_state import COMPLETED
from sync.events import GENESIS_HASH, Event, business_date
from sync.feed import EVERYONE, RATING_SCALE
from sync.fold import CaseState
from sync.green_channel import priority_of
from sync.rating_figures import FigureRules
from sync.rating_scale import RatingScale, parse_scale
from sync.signing import Envelope

_CASE_COLUMNS = (
    "case_id",
    "case_number",
    "org_code",
    "holder_code",
    "state",
    "state_json",
    "updated_at",
    "item_code",
    "item_name",
    "applicant_name",
    "accepted_on",
    "open_petitions",
    "registered_on",
    "refused_on",
    "completed_on",
    "registered_by",
    "accepted_by",
    "completed_by",
    "priority",
)

# The columns of an event row, in the order of ``event_values``.
_EVENT_COLUMNS = (
    "event_id",
    "case_id",
    "org_code",
    "writer",
    "writer_seq",
    "prev_hash",
    "hash",
    "actor",
    "at",
    "type",
    "payload",
    "bundle_hash",
    "status",
    "reason",
    "received_at",
)


def event_values(
    event: Event,
    event_hash: str,
    org_code: str,
    bundle_hash: str | None,
    status: str,
    reason: str,
    received_at: str,
) -> tuple[Any, ...]:
    """Return an event's row for ``LogStore.add_events``.

    A tuple, not a dict: ingest writes tens of thousands per batch, and building a dict per row
    only for the driver to take it apart again cost more than the inserts.
    """
    return (
        event.event_id,
        event.case_id,
        org_code,
        event.writer,
        event.writer_seq,
        event.prev_hash,
        event_hash,
        event.actor,
        event.at,
        event.type,
        orjson.dumps(event.payload).decode(),
        bundle_hash,
        status,
        reason,
        received_at,
    )


def chunked(values: list[Any], size: int = 5000) -> Iterator[list[Any]]:
    """Yield slices of a list small enough for one IN (...) of any database."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def bulk_insert(c: Connection, table: Any, rows: list[Mapping[str, Any]]) -> None:
    """Insert many rows with the driver's own executemany (every row has the same keys)."""
    if rows:
        names = list(rows[0])
        insert_values(c, table, names, [tuple(row[name] for name in names) for row in rows])


def insert_values(
    c: Connection, table: Any, names: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    """Insert rows given as tuples in the order of ``names``."""
    # SQLAlchemy's per-row parameter processing cost more than the inserts themselves at ingest's
    # volumes; the values here are plain str/int/bytes that both drivers take as they are.
    if not values:
        return
    if c.dialect.name == "postgresql":
        # COPY streams the rows in one go; executemany, even pipelined, pays a round of
        # parameter handling per row, several times the cost at ingest's volumes.
        driver = c.connection.driver_connection
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in values:
                copy.write_row(row)
        return
    statement = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    )
    c.exec_driver_sql(statement, values)


def where_in(c: Connection, sql: str, values: Iterable[str]) -> list[Any]:
    """Run a query whose ``{values}`` stands for a list of strings; return its rows.

    One parameter however long the list: a JSON array that SQLite unpacks with json_each, an array
    for PostgreSQL's ``= ANY``. Ingest looks up tens of thousands of event and case ids per batch,
    and SQLAlchemy's expanding IN (...) compiles a placeholder for each of them.
    """
    listed = sorted(set(values))
    if not listed:
        return []
    if c.dialect.name == "postgresql":
        statement = sql.format(values="= ANY(%s)")
        return list(c.exec_driver_sql(statement, (listed,)))
    statement = sql.format(values="IN (SELECT value FROM json_each(?))")
    return list(c.exec_driver_sql(statement, (orjson.dumps(listed).decode(),)))


_STEP_COLUMNS = (
    "registered_on",
    "refused_on",
    "completed_on",
    "registered_by",
    "accepted_by",
    "completed_by",
)


def _counted_steps(state: CaseState) -> dict[str, str | None]:
    """Return the days and staff of the steps the figures count a case by, as the projection keeps
    them for the dashboard's drill-down (``sync.case_figures.contributions`` counts the same)."""
    completed = state.state == COMPLETED
    return {
        "registered_on": business_date(state.registered_at).isoformat(),
        "refused_on": state.refused_on,
        "completed_on": state.completed_on if completed else None,
        "registered_by": (state.registered_by or "")[:32] or None,
        "accepted_by": (state.accepted_by or "")[:32] or None,
        "completed_by": (state.completed_by or "")[:32]
        if completed and state.completed_by
        else None,
    }


def state_json(state: CaseState) -> str:
    """Serialize a folded case state for its projection row."""
    # orjson writes a dataclass's fields itself, in C (dataclasses.asdict deep-copies every nested
    # value, and ingest writes thousands of states per batch). The projection is stored text, read
    # back by a JSON parser, never hashed.
    return orjson.dumps(state).decode()


def _state(text: str) -> CaseState:
    return CaseState.from_dict(json.loads(text))


def _open_petitions(state: CaseState) -> int:
    return sum(1 for petition in state.petitions if petition["answer"] is None)


class LogStore:
    """The case-log half of ``CentralStore`` (mixed in; it shares the engine and lock helpers)."""

    if TYPE_CHECKING:
        # Provided by CentralStore, which mixes this class in; declared for the type checker only.
        def _locked(self, query: Any) -> Any: ...

        def insert_ignore(self, table: Any) -> Any: ...

        def inserted(self, c: Connection, statement: Any) -> bool: ...

        def reading(self) -> Any: ...

        def transaction(self) -> Any: ...

        def figure_rules(
            self, c: Connection, pairs: Sequence[tuple[CaseState | None, CaseState]] = ()
        ) -> FigureRules: ...

        _published_items: dict[str, dict[str, dict[str, Any]]]
        _rating_scales: dict[str, RatingScale]

    # Bundles

    def bundles_by_hash(self, c: Connection, hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return the stored bundles among these hashes, with their receipts."""
        sql = "SELECT bundle_hash, device_id, sequence, receipt FROM bundles WHERE bundle_hash {values}"
        return {r[0]: dict(r._mapping) for r in where_in(c, sql, hashes)}

    def bundle_ids_taken(self, c: Connection, bundle_ids: Iterable[str]) -> set[str]:
        """Return which of these bundle ids stored bundles already carry."""
        sql = "SELECT bundle_id FROM bundles WHERE bundle_id {values}"
        return {r[0] for r in where_in(c, sql, bundle_ids)}

    def add_bundles(self, c: Connection, rows: list[Mapping[str, Any]]) -> None:
        """Keep bundles' envelope bytes verbatim with their receipts."""
        bulk_insert(c, t.bundles, rows)

    def add_quarantined_bundle(self, c: Connection, values: Mapping[str, Any]) -> bool:
        """Keep a bundle that must not be applied (a revoked device's, or a fork's other branch);
        False if it was kept before."""
        statement = self.insert_ignore(t.quarantined_bundles).values(**values)
        return self.inserted(c, statement)

    def quarantined_bundles(self) -> list[dict[str, Any]]:
        """Return the quarantined bundles (without their bytes), oldest first."""
        q = t.quarantined_bundles.c
        with self.reading() as c:
            query = select(q.bundle_hash, q.device_id, q.sequence, q.reason, q.received_at)
            return [dict(r) for r in c.execute(query.order_by(q.received_at)).mappings()]

    def stored_bundles(self) -> Iterator[dict[str, Any]]:
        """Yield every stored bundle with its envelope bytes, by device and sequence."""
        with self.reading() as c:
            query = select(
                t.bundles.c.bundle_hash,
                t.bundles.c.device_id,
                t.bundles.c.sequence,
                t.bundles.c.envelope,
            ).order_by(t.bundles.c.device_id, t.bundles.c.sequence)
            for row in c.execute(query).mappings():
                yield dict(row)

    # Events

    def existing_event_ids(self, c: Connection, event_ids: Iterable[str]) -> set[str]:
        """Return those of these event ids that the log already holds."""
        return {
            r[0]
            for r in where_in(c, "SELECT event_id FROM events WHERE event_id {values}", event_ids)
        }

    def add_events(self, c: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Append events (rows made by ``event_values``) to the central log."""
        insert_values(c, t.events, _EVENT_COLUMNS, rows)

    def case_events(self, case_id: str) -> list[tuple[Event, str, str]]:
        """Return a case's events with their status and reason, in log order."""
        e = t.events.c
        with self.reading() as c:
            query = select(t.events).where(e.case_id == case_id).order_by(e.seq)
            return [
                (
                    Event.from_row(r),
                    r["status"],
                    r["reason"],
                )
                for r in c.execute(query).mappings()
            ]

    def forwarding_bundle(self, c: Connection, case_id: str) -> str:
        """Return the hash of the bundle that carried the case's latest applied forward."""
        e = t.events.c
        query = (
            select(e.bundle_hash)
            .where(e.case_id == case_id, e.type == "forwarded", e.status == "applied")
            .order_by(e.seq.desc())
            .limit(1)
        )
        return c.execute(query).scalar() or GENESIS_HASH

    # Cases

    def cases_locked(self, c: Connection, case_ids: Iterable[str]) -> dict[str, CaseState]:
        """Return the folded states of these cases, locked in id order."""
        # PostgreSQL locks the rows; SQLite's BEGIN IMMEDIATE already holds the database write lock.
        lock = " FOR UPDATE" if c.dialect.name == "postgresql" else ""
        rows = where_in(
            c,
            "SELECT case_id, state_json FROM cases WHERE case_id {values} ORDER BY case_id" + lock,
            case_ids,
        )
        return {r[0]: _state(r[1]) for r in rows}

    def case_numbers_taken(self, c: Connection, numbers: Iterable[str]) -> dict[str, str]:
        """Return the case id of each of these case numbers that is already in use."""
        rows = where_in(
            c, "SELECT case_number, case_id FROM cases WHERE case_number {values}", numbers
        )
        return {r[0]: r[1] for r in rows}

    def case_by_number(self, c: Connection, case_number: str) -> CaseState | None:
        """Return a case by its readable number, locked for this transaction."""
        query = select(t.cases.c.state_json).where(t.cases.c.case_number == case_number)
        row = c.execute(self._locked(query)).first()
        return _state(row[0]) if row else None

    def case_state(self, case_id: str) -> CaseState | None:
        """Return a case's folded state."""
        with self.reading() as c:
            query = select(t.cases.c.state_json).where(t.cases.c.case_id == case_id)
            row = c.execute(query).first()
        return _state(row[0]) if row else None

    def save_cases(
        self,
        c: Connection,
        new: list[CaseState],
        changed: list[CaseState],
        before: Mapping[str, CaseState],
    ) -> None:
        """Write the projections of new and changed cases from their folded states, and change the
        好差评 figures and lists by what each case changed (``before``: the changed cases' states
        before, as the caller read them locked; not read again here)."""
        insert_values(
            c,
            t.cases,
            _CASE_COLUMNS,
            [
                (
                    s.case_id,
                    s.case_number,
                    s.org_code,
                    s.holder_code,
                    s.state,
                    state_json(s),
                    s.last_at,
                    s.item["code"][:40],
                    s.item["name"],
                    s.applicant["name"],
                    s.accepted_on,
                    _open_petitions(s),
                    *_counted_steps(s).values(),
                    priority_of(s),
                )
                for s in new
            ],
        )
        if changed:
            statement = (
                update(t.cases)
                .where(t.cases.c.case_id == bindparam("b_case_id"))
                .values(
                    holder_code=bindparam("holder_code"),
                    state=bindparam("state"),
                    state_json=bindparam("state_json"),
                    updated_at=bindparam("updated_at"),
                    accepted_on=bindparam("accepted_on"),
                    open_petitions=bindparam("open_petitions"),
                    **{name: bindparam(name) for name in _STEP_COLUMNS},
                    priority=bindparam("priority"),
                )
            )
            c.execute(
                statement,
                [
                    {
                        "b_case_id": s.case_id,
                        "holder_code": s.holder_code,
                        "state": s.state,
                        "state_json": state_json(s),
                        "updated_at": s.last_at,
                        "accepted_on": s.accepted_on,
                        "open_petitions": _open_petitions(s),
                        **_counted_steps(s),
                        "priority": priority_of(s),
                    }
                    for s in changed
                ],
            )
        pairs = [(None, s) for s in new] + [(before[s.case_id], s) for s in changed]
        figure_store.keep(c, pairs, lambda: self.figure_rules(c, pairs))

    def case_names_file(
        self, c: Connection, org_code: str, sha256: str, *, agency_code: str = ""
    ) -> bool:
        """Tell whether a case of a unit (an agency case of a village, when given) names a file."""
        cases = t.cases.c
        query = select(cases.case_id).where(
            cases.org_code == org_code, cases.state_json.contains(sha256)
        )
        if agency_code:
            query = query.where(cases.state_json.contains(f'"agency_code":"{agency_code}"'))
        return c.execute(query.limit(1)).first() is not None

    def cases_held_by(self, org_code: str) -> list[CaseState]:
        """Return the cases a unit holds now."""
        with self.reading() as c:
            query = select(t.cases.c.state_json).where(t.cases.c.holder_code == org_code)
            return [_state(r[0]) for r in c.execute(query)]

    # Chain heads and serials

    def chain_head(self, c: Connection, writer: str) -> tuple[int, str]:
        """Return a central writer's last sequence and hash, locking the head row."""
        c.execute(
            self.insert_ignore(t.chain_heads).values(writer=writer, writer_seq=0, hash=GENESIS_HASH)
        )
        query = select(t.chain_heads.c.writer_seq, t.chain_heads.c.hash).where(
            t.chain_heads.c.writer == writer
        )
        row = c.execute(self._locked(query)).one()
        return int(row[0]), str(row[1])

    def set_chain_head(self, c: Connection, writer: str, writer_seq: int, hash_: str) -> None:
        """Move a central writer's head."""
        c.execute(
            update(t.chain_heads)
            .where(t.chain_heads.c.writer == writer)
            .values(writer_seq=writer_seq, hash=hash_)
        )

    def next_serial(self, c: Connection, name: str) -> int:
        """Take the next value of a growing serial (locked until the transaction ends)."""
        c.execute(self.insert_ignore(t.serials).values(name=name, value=0))
        query = select(t.serials.c.value).where(t.serials.c.name == name)
        value = int(c.execute(self._locked(query)).scalar_one()) + 1
        c.execute(update(t.serials).where(t.serials.c.name == name).values(value=value))
        return value

    def published_items(
        self, c: Connection, versions: Iterable[str]
    ) -> dict[str, dict[str, dict[str, Any]]]:
        """Return the items of these published catalogue versions, by version and item code
        (a version unknown here is left out)."""
        # A published version never changes (publishing it again is refused), so each process
        # reads and parses it once; a version published later by another process is read then.
        cache = self._published_items
        wanted = set(versions)
        missing = wanted - cache.keys()
        if missing:
            sql = "SELECT version, body FROM catalogue_versions WHERE version {values}"
            for version, body in where_in(c, sql, missing):
                items = json.loads(body).get("items") or []
                cache[version] = {
                    str(item.get("code")): published_item(item)
                    for item in items
                    if isinstance(item, Mapping)
                }
        return {version: cache[version] for version in wanted if version in cache}

    def rating_scales(self, c: Connection, versions: Iterable[str] = ()) -> dict[str, RatingScale]:
        """Return every rating scale central published, by version (re-read when one of
        ``versions`` is not known yet: another process may have published it since)."""
        cache = self._rating_scales
        if not cache or not set(versions) <= cache.keys():
            # Central's own signed feed entries are the record of what it published (the
            # everyone-scope entries are few: catalogues, calendars, scales, revocations).
            f = t.feed.c
            query = (
                select(f.envelope)
                .where(f.scope == EVERYONE, f.kind == RATING_SCALE)
                .order_by(f.seq)
            )
            for (envelope,) in c.execute(query):
                body = orjson.loads(Envelope.from_json(bytes(envelope)).payload)["body"]
                scale = parse_scale(body)
                cache[scale.version] = scale
        return dict(cache)

    def newest_rating_scale(self, c: Connection) -> RatingScale | None:
        """Return the rating scale central published last (the one residents rate on), or None
        if none was published."""
        f = t.feed.c
        query = (
            select(f.envelope)
            .where(f.scope == EVERYONE, f.kind == RATING_SCALE)
            .order_by(f.seq.desc())
            .limit(1)
        )
        envelope = c.execute(query).scalar()
        if envelope is None:
            return None
        body = orjson.loads(Envelope.from_json(bytes(envelope)).payload)["body"]
        # A published version never changes: each ingest asks for the newest, parse it once.
        known = self._rating_scales.get(body.get("version"))
        if known is None:
            known = self._rating_scales[body["version"]] = parse_scale(body)
        return known

    def add_catalogue_version(self, c: Connection, values: Mapping[str, Any]) -> bool:
        """Keep a published catalogue version; False if that version was published before."""
        return self.inserted(c, self.insert_ignore(t.catalogue_versions).values(**values))

    def newest_calendar_version(self, c: Connection, year: int) -> int:
        """Return the newest published calendar version of a year (0 if none)."""
        cv = t.calendar_versions.c
        query = select(cv.version).where(cv.year == year).order_by(cv.version.desc()).limit(1)
        return int(c.execute(query).scalar() or 0)

    def add_calendar_version(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Keep a published calendar of a year."""
        c.execute(insert(t.calendar_versions).values(**values))

    # Feed

    def add_feed_entry(self, c: Connection, scope: str, kind: str, envelope: bytes, at: str) -> int:
        """Append a signed entry to the feed and return its sequence."""
        result = c.execute(
            insert(t.feed).values(scope=scope, kind=kind, envelope=envelope, created_at=at)
        )
        return int(result.inserted_primary_key[0])

    def feed_page(self, scopes: list[str], after: int, limit: int) -> list[dict[str, Any]]:
        """Return feed entries for these scopes after a cursor, in order."""
        f = t.feed.c
        with self.reading() as c:
            query = (
                select(f.seq, f.scope, f.kind, f.envelope)
                .where(f.scope.in_(scopes), f.seq > after)
                .order_by(f.seq)
                .limit(limit)
            )
            return [dict(r) for r in c.execute(query).mappings()]
