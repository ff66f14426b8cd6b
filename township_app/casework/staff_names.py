"""Who acted, by name: the staff names a person reads on case pages and notices, never log-ins.

Every event written at a township device or at central carries its actor's name as it was when they
acted (``actor_name`` in the payload; docs/protocol.md). A name there wins over this PC's staff list,
which names only this hall's own accounts (and the events written before names were carried).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sync.events import Event


def staff_names(users: Iterable[Mapping[str, object]], events: Iterable[Event]) -> dict[str, str]:
    """Return each log-in name's staff name: from the events' carried names, else the staff list."""
    names = {str(u["username"]): str(u["display_name"]) for u in users}
    for event in events:
        carried = event.payload.get("actor_name")
        if isinstance(carried, str) and carried.strip():
            names[event.actor] = carried.strip()
    return names
