"""Publish the public progress page's address (群众查询网址) to every device: the receipts' QR codes
and printed addresses come from it (``sync.public_address``); a new device gets it at enrollment."""

from __future__ import annotations

from datetime import datetime

from central_api.review.publish import append_entry
from central_api.stores import public_address_store
from central_api.stores.store import CentralStore
from sync import feed
from sync.events import format_time
from sync.public_address import check_progress_url
from sync.signing import SigningKey


class _Unchanged(Exception):
    """The address is the one published last: nothing to publish (the serial is rolled back)."""


def publish_public_address(
    store: CentralStore, central_key: SigningKey, progress_url: str, now: datetime
) -> int | None:
    """Publish the progress page's address under the next serial, unless it is the one published
    last; return the serial, or None when nothing changed. A bad address is refused first."""
    url = check_progress_url(progress_url)
    try:
        with store.transaction() as c:
            # The serial's row is locked until the end: a second server starting at the same time
            # waits here, then sees this one's entry and publishes nothing.
            serial = store.next_serial(c, feed.PUBLIC_ADDRESS)
            newest = public_address_store.newest_body(c)
            if newest is not None and newest.get("progress_url") == url:
                raise _Unchanged
            body = {"serial": serial, "progress_url": url, "published_at": format_time(now)}
            append_entry(store, c, central_key, feed.PUBLIC_ADDRESS, feed.EVERYONE, body, now)
    except _Unchanged:
        return None
    return serial
