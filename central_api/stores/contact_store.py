"""SQL of the staff contacts (责任人手机号) that warnings are sent to by SMS: one row per unit and
log-in name, username "" for the unit's liaison (联络人)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, select, update

from central_api.stores import schema as t
from central_api.stores.log_store import chunked
from central_api.stores.store import CentralStore

_K = t.staff_contacts.c


class ContactStore:
    """The staff contacts over one central database."""

    def __init__(self, store: CentralStore) -> None:
        self.store = store

    def contacts(self, units: Iterable[str]) -> list[dict[str, Any]]:
        """Return the contacts of these units, by unit, the liaison first, then by log-in name."""
        found: list[dict[str, Any]] = []
        with self.store.reading() as c:
            for chunk in chunked(sorted(set(units))):
                query = select(t.staff_contacts).where(_K.org_code.in_(chunk))
                found.extend(dict(r) for r in c.execute(query).mappings())
        found.sort(key=lambda row: (row["org_code"], row["username"]))
        return found

    def contact(self, c: Connection, contact_id: int) -> dict[str, Any] | None:
        """Return one contact."""
        row = c.execute(select(t.staff_contacts).where(_K.id == contact_id)).mappings().first()
        return dict(row) if row else None

    def save(self, c: Connection, values: dict[str, Any]) -> int:
        """Record a person's number, or change it if the unit already has one for that name."""
        found = c.execute(
            select(_K.id).where(
                _K.org_code == values["org_code"], _K.username == values["username"]
            )
        ).first()
        if found is not None:
            c.execute(update(t.staff_contacts).where(_K.id == found[0]).values(**values))
            return int(found[0])
        statement = self.store.insert_ignore(t.staff_contacts).values(**values)
        row = c.execute(statement.returning(_K.id)).first()
        if row is None:  # another request recorded the same name a moment ago: change theirs
            return self.save(c, values)
        return int(row[0])

    def remove(self, c: Connection, contact_id: int) -> None:
        """Forget a contact."""
        c.execute(delete(t.staff_contacts).where(_K.id == contact_id))

    def recipient(self, c: Connection, unit: str, person: str | None) -> dict[str, Any] | None:
        """Return who is told of a warning of ``unit`` naming ``person``: that person's contact,
        else the unit's liaison; None when the unit has recorded neither."""
        names = [person, ""] if person else [""]
        rows = {
            row["username"]: dict(row)
            for row in c.execute(
                select(t.staff_contacts).where(_K.org_code == unit, _K.username.in_(names))
            ).mappings()
        }
        return next((rows[name] for name in names if name in rows), None)
