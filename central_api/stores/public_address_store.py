"""The newest published public address (群众查询网址) entry of the feed."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select

from central_api.stores import schema as t
from sync.feed import EVERYONE, PUBLIC_ADDRESS
from sync.signing import Envelope


def newest_envelope(c: Connection) -> bytes | None:
    """Return the signed envelope of the newest public address entry, or None if none was."""
    f = t.feed.c
    query = (
        select(f.envelope)
        .where(f.scope == EVERYONE, f.kind == PUBLIC_ADDRESS)
        .order_by(f.seq.desc())
        .limit(1)
    )
    envelope = c.execute(query).scalar()
    return None if envelope is None else bytes(envelope)


def newest_body(c: Connection) -> dict[str, Any] | None:
    """Return the body of the newest public address entry (serial, progress_url), or None."""
    envelope = newest_envelope(c)
    if envelope is None:
        return None
    return dict(orjson.loads(Envelope.from_json(envelope).payload)["body"])
