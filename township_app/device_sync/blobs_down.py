"""Scans down: fetch from central the scans that the other side of a village agency case took.

The township must see the entrustment (委托书) and the other scans a village agent took before it
accepts; the village those the township added. The events name the scans by SHA-256; central keeps
them (uploaded before the bundle that named them). Pieces of at most 1 MB each; the whole file's
hash and size are checked before it is stored like a scan taken here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
from datetime import datetime
from pathlib import Path

from sync.client import ApiError, CentralClient
from sync.errors import InvalidInput
from sync.events import format_time
from township_app.casework.blobs import blob_path, save_scan
from township_app.stores.store import Store

log = logging.getLogger(__name__)

PIECE = 1024 * 1024
PER_ROUND = 20  # scans fetched per sync round at most: a round stays short on a slow link


def fetch_wanted_scans(
    store: Store, client: CentralClient, blob_root: Path, *, now: datetime
) -> int:
    """Fetch the scans named by other devices' events that this PC lacks; return how many."""
    relay = store.relay
    fetched = 0
    for wanted in relay.wanted_blobs(PER_ROUND):
        sha256, size = wanted["sha256"], int(wanted["size"])
        if store.blob(sha256) is not None and blob_path(blob_root, sha256).exists():
            with store.write():
                relay.got_blob(sha256)
            continue
        try:
            data = _download(client, sha256, size)
            scan = save_scan(blob_root, io.BytesIO(data), sha256[:12], max(size, 1))
        except (ApiError, InvalidInput) as error:  # not (yet) at central, or not ours: later
            log.warning("scan %s… not fetched: %s", sha256[:12], error.code)
            with store.write():
                relay.blob_attempt(sha256, error.code)
            continue
        with store.write():
            store.add_blob(scan.sha256, scan.size, scan.media_type, format_time(now))
            relay.got_blob(sha256)
        fetched += 1
    return fetched


def _download(client: CentralClient, sha256: str, size: int) -> bytes:
    parts: list[bytes] = []
    offset = 0
    while offset < size:
        answer = client.blob_piece(sha256, offset, min(PIECE, size - offset))
        try:
            piece = base64.b64decode(str(answer.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(200, "bad_piece", "", answer) from None
        if not piece or answer.get("offset") != offset:
            raise ApiError(200, "bad_piece", "", answer)
        parts.append(piece)
        offset += len(piece)
    data = b"".join(parts)
    if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
        raise ApiError(200, "blob_hash_mismatch", "", {})
    return data
