"""SQL of supervision: the cases the warning job watches, the warnings it records, and the yellow
and red cards with their trail. The rules themselves are ``sync.supervision_rules``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, or_, select, update

from central_api.stores import schema as t
from central_api.stores.log_store import chunked
from central_api.stores.store import CentralStore
from sync.case_state import FINAL_STATES, STATES, CaseState
from sync.feed import EVERYONE, SUPERVISION_RULES
from sync.signing import Envelope
from sync.supervision_rules import DEFAULT_RULES, CaseWarning, SupervisionRules, parse_rules

# Listed rather than "not final", so that the database reads them from the state index.
_OPEN_STATES = sorted(set(STATES) - FINAL_STATES)
RULE = "rule"  # the issuer of a card the rules issued
ISSUED, APPEALED, REVOKED, UPHELD = "issued", "appealed", "revoked", "upheld"
CARD_STATES = (ISSUED, APPEALED, REVOKED, UPHELD)


class SupervisionStore:
    """Supervision's SQL over one central database."""

    def __init__(self, store: CentralStore) -> None:
        self.store = store

    # What the job reads

    def rules(self, c: Connection) -> SupervisionRules:
        """Return the newest published supervision rules, or the defaults."""
        f = t.feed.c
        query = (
            select(f.envelope)
            .where(f.scope == EVERYONE, f.kind == SUPERVISION_RULES)
            .order_by(f.seq.desc())
            .limit(1)
        )
        envelope = c.execute(query).scalar()
        if envelope is None:
            return DEFAULT_RULES
        return parse_rules(orjson.loads(Envelope.from_json(bytes(envelope)).payload)["body"])

    def watched_cases(self, c: Connection, changed_since: str) -> Iterator[CaseState]:
        """Yield the cases that may warn: those not final, with a petition open, changed since a
        moment (a 差评 task opens after the result), or with a warning not yet cleared."""
        k, w = t.cases.c, t.warnings.c
        uncleared = select(w.case_id).where(w.cleared_at.is_(None))
        query = select(k.state_json).where(
            or_(
                k.state.in_(_OPEN_STATES),
                k.open_petitions > 0,
                k.updated_at >= changed_since,
                k.case_id.in_(uncleared),
            )
        )
        for (raw,) in c.execute(query):
            yield CaseState.from_dict(json.loads(raw))

    def uncleared(self, c: Connection, case_ids: Iterable[str]) -> dict[tuple[str, ...], int]:
        """Return the warnings not cleared of these cases, by key, with their ids."""
        w = t.warnings.c
        found: dict[tuple[str, ...], int] = {}
        for chunk in chunked(sorted(set(case_ids))):
            query = select(w.id, w.case_id, w.stage, w.subject, w.level).where(
                w.case_id.in_(chunk), w.cleared_at.is_(None)
            )
            for row in c.execute(query):
                found[(row.case_id, row.stage, row.subject, row.level)] = row.id
        return found

    # What the job writes

    def record_warning(
        self, c: Connection, warning: CaseWarning, org_code: str, at: str
    ) -> int | None:
        """Record a warning seen for the first time; return its id, or None if it was recorded
        before (then it is marked not cleared again, but never notified twice)."""
        values = {
            "case_id": warning.case_id,
            "case_number": warning.case_number,
            "org_code": org_code,
            "unit": warning.unit,
            "person": warning.person[:32] if warning.person else None,
            "stage": warning.stage,
            "subject": warning.subject[:64],
            "level": warning.level,
            "due_on": warning.due_on.isoformat() if warning.due_on else None,
            "message": warning.message,
            "raised_at": at,
        }
        statement = self.store.insert_ignore(t.warnings).values(**values)
        row = c.execute(statement.returning(t.warnings.c.id)).first()
        if row is not None:
            return int(row[0])
        w = t.warnings.c
        c.execute(
            update(t.warnings)
            .where(
                w.case_id == warning.case_id,
                w.stage == warning.stage,
                w.subject == values["subject"],
                w.level == warning.level,
            )
            .values(cleared_at=None, message=warning.message)
        )
        return None

    def clear_warnings(self, c: Connection, ids: Iterable[int], at: str) -> None:
        """Mark warnings whose stage no longer warns as cleared."""
        w = t.warnings.c
        for chunk in chunked(sorted(set(ids))):
            c.execute(update(t.warnings).where(w.id.in_(chunk)).values(cleared_at=at))

    def claim_unnotified(self, c: Connection, at: str, limit: int = 500) -> list[dict[str, Any]]:
        """Take the warnings not notified yet (marking them notified in the caller's transaction,
        so that a second job never sends them again)."""
        w = t.warnings.c
        query = select(t.warnings).where(w.notified_at.is_(None)).order_by(w.id).limit(limit)
        rows = [dict(r) for r in c.execute(query).mappings()]
        taken = []
        for row in rows:
            done = c.execute(
                update(t.warnings)
                .where(w.id == row["id"], w.notified_at.is_(None))
                .values(notified_at=at)
            )
            if done.rowcount:
                taken.append(row)
        return taken

    def note_notify_error(self, c: Connection, warning_id: int, error: str) -> None:
        """Keep why the notification of a warning failed (it is not tried again)."""
        c.execute(
            update(t.warnings).where(t.warnings.c.id == warning_id).values(notify_error=error[:500])
        )

    # Cards

    def add_card(self, c: Connection, values: Mapping[str, Any], actor: str) -> int | None:
        """Issue a card and start its trail; None if a rule's card for that warning exists."""
        statement = self.store.insert_ignore(t.cards).values(**values, state=ISSUED)
        row = c.execute(statement.returning(t.cards.c.id)).first()
        if row is None:
            return None
        card_id = int(row[0])
        self.add_step(c, card_id, "issued", actor, values["issued_at"], values["reason"])
        return card_id

    def card(self, c: Connection, card_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        """Return a card."""
        query = select(t.cards).where(t.cards.c.id == card_id)
        if lock and self.store.is_postgres:
            query = query.with_for_update()
        row = c.execute(query).mappings().first()
        return dict(row) if row else None

    def set_card_state(self, c: Connection, card_id: int, state: str) -> None:
        """Move a card to a new state."""
        c.execute(update(t.cards).where(t.cards.c.id == card_id).values(state=state))

    def add_step(
        self, c: Connection, card_id: int, action: str, actor: str, at: str, reason: str
    ) -> None:
        """Add a step to a card's trail."""
        c.execute(
            insert(t.card_trail).values(
                card_id=card_id, action=action, actor=actor[:32], at=at, reason=reason
            )
        )

    # Reads for pages and the command line

    def open_warnings(
        self, units: Iterable[str] | None = None, *, level: str = "", stage: str = ""
    ) -> list[dict[str, Any]]:
        """Return the warnings not cleared, red first, of these units (all when None)."""
        w = t.warnings.c
        query = select(t.warnings).where(w.cleared_at.is_(None))
        if level:
            query = query.where(w.level == level)
        if stage:
            query = query.where(w.stage == stage)
        query = query.order_by(w.level.desc(), w.due_on, w.case_number)
        with self.store.reading() as c:
            if units is None:
                return [dict(r) for r in c.execute(query).mappings()]
            found = []
            for chunk in chunked(sorted(set(units))):
                found += [dict(r) for r in c.execute(query.where(w.unit.in_(chunk))).mappings()]
        found.sort(key=lambda r: (r["level"] != "red", r["due_on"] or "", r["case_number"]))
        return found

    def warning_counts(self, units: Iterable[str]) -> dict[str, int]:
        """Count the open warnings of these units by level."""
        w = t.warnings.c
        counts: dict[str, int] = {}
        with self.store.reading() as c:
            for chunk in chunked(sorted(set(units))):
                query = (
                    select(w.level, func.count())
                    .where(w.cleared_at.is_(None), w.unit.in_(chunk))
                    .group_by(w.level)
                )
                for level, n in c.execute(query):
                    counts[level] = counts.get(level, 0) + int(n)
        return counts

    def cards(self, units: Iterable[str]) -> list[dict[str, Any]]:
        """Return the cards of these units, newest first, each with its trail."""
        k, s = t.cards.c, t.card_trail.c
        found: list[dict[str, Any]] = []
        with self.store.reading() as c:
            for chunk in chunked(sorted(set(units))):
                query = select(t.cards).where(k.unit.in_(chunk))
                found += [dict(r) for r in c.execute(query).mappings()]
            ids = [card["id"] for card in found]
            trail: dict[int, list[dict[str, Any]]] = {}
            for chunk in chunked(sorted(ids)):
                query = select(t.card_trail).where(s.card_id.in_(chunk)).order_by(s.id)
                for step in c.execute(query).mappings():
                    trail.setdefault(step["card_id"], []).append(dict(step))
        for card in found:
            card["trail"] = trail.get(card["id"], [])
        found.sort(key=lambda card: card["id"], reverse=True)
        return found
