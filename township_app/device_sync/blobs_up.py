"""Attachments up: the scans named by waiting bundles, small ones in batches, large ones in
resumable chunks, several requests at a time.

Small blobs (most scans of a page) go up whole, many to a request (protocol 13.7, blob batches): a
request costs central far more than 200 KB of bytes do. Large ones, and small ones whose batch did
not get through, go in the manner of tus: announce the upload with its first chunk
(creation-with-upload), ask central what it holds, send chunks with their checksum, go on from
central's offset after a cut. A blob central holds completely is never sent again.
"""

from __future__ import annotations

import json
import logging
import queue
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sync import stages
from sync.client import ApiError, CentralClient, Offline
from sync.errors import N_, DomainError
from sync.events import format_time
from sync.usb import file_sha256
from township_app.casework.blobs import blob_path
from township_app.device_sync import relay
from township_app.stores.store import Store

log = logging.getLogger(__name__)

CHUNK = 256 * 1024  # the largest upload chunk (reference client, 13.7)
FIRST_CHUNK = 64 * 1024  # a blob starts with this: a cut early on costs little
# After a cut: ~20 KB balances the bytes lost to the next cut (half a chunk on average) against
# the ~700 bytes of signed headers every chunk carries, on a link that drops every ~256 KB.
MIN_CHUNK = 20 * 1024
GROW_AFTER = 8  # chunks sent in a row without a cut before the chunk size doubles again
MAX_CUTS_PER_ROUND = 200  # then the round ends offline and the worker backs off
UPLOADS_AT_ONCE = 4  # requests in flight: batches or single blobs
MARK_EVERY = 50  # completed blobs recorded per local transaction
SMALL_BLOB = 1024 * 1024  # at most this goes up in a batch (central's limit per blob, 13.7)
BATCH_BYTES = 4 * 1024 * 1024  # a batch is closed at this (central takes up to 8 MB)
BATCH_BLOBS = 64  # central's limit of blobs per batch


class BlobUnavailable(DomainError):
    """An attachment named by a bundle cannot be read from the blob folder."""

    code = "blob_unavailable"


def upload_blobs(
    store: Store,
    client: CentralClient,
    blob_root: Path,
    *,
    now: datetime,
    on_marked: Callable[[], None] | None = None,
) -> int:
    """Upload the attachments named by the bundles about to go up; return how many completed.

    Several requests run at once: much of a request's time is the server's disk flush, which
    other requests can use. What central holds completely is recorded here in batches: a mark
    lost to a crash only costs asking central again (it answers "complete"), never a resend.
    ``on_marked`` is called after each batch of marks but the last (their bundles may go up).
    """
    sync = store.sync
    wanted: dict[str, Mapping[str, Any]] = {}
    for bundle in sync.sendable(10_000, columns="attachments"):
        for attachment in json.loads(bundle["attachments"]):
            wanted.setdefault(attachment["sha256"], attachment)
    for attachment in relay.relay_attachments(store):  # village bundles relayed from a stick
        wanted.setdefault(attachment["sha256"], attachment)
    done = sync.completed_blobs(wanted)
    todo = [(sha, attachment) for sha, attachment in wanted.items() if sha not in done]
    if not todo:
        return 0
    # Large blobs first: they take longest, and the batches fill the time beside them.
    jobs: list[list[tuple[str, Mapping[str, Any]]]] = [
        [item] for item in todo if int(item[1]["size"]) > SMALL_BLOB
    ]
    jobs += _batches([item for item in todo if int(item[1]["size"]) <= SMALL_BLOB])
    # What one request learns of the link, the next one starts from. Shared by the upload threads
    # without a lock: it is a hint, and a lost update only costs a chunk size or one batch.
    link = LinkState()
    clients = [client] + [client.clone() for _ in range(min(UPLOADS_AT_ONCE, len(jobs)) - 1)]
    free: queue.SimpleQueue[CentralClient] = queue.SimpleQueue()
    for each in clients:
        free.put(each)

    def upload(job: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
        mine = free.get()
        try:
            if len(job) == 1 and int(job[0][1]["size"]) > SMALL_BLOB:
                sha256, attachment = job[0]
                upload_blob(mine, blob_path(blob_root, sha256), attachment, link)
                return [sha256]
            return upload_batch(mine, blob_root, job, link)
        finally:
            free.put(mine)

    sent = 0
    completed: list[str] = []
    try:
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            futures = [pool.submit(upload, job) for job in jobs]
            failure: BaseException | None = None
            for future in futures:
                try:
                    completed += future.result()
                except BaseException as error:  # noqa: BLE001 - the first failure is raised below
                    failure = failure or error
                    for other in futures:
                        other.cancel()
                if len(completed) >= MARK_EVERY:
                    sent += _mark_complete(store, completed, now)
                    if on_marked is not None:
                        on_marked()
            if failure is not None:
                raise failure
    finally:
        sent += _mark_complete(store, completed, now)
        for extra in clients[1:]:
            extra.close()
    return sent


def _batches(
    small: list[tuple[str, Mapping[str, Any]]],
) -> list[list[tuple[str, Mapping[str, Any]]]]:
    """Pack small blobs into batches of at most BATCH_BYTES and BATCH_BLOBS, in order."""
    batches: list[list[tuple[str, Mapping[str, Any]]]] = []
    size = 0
    for item in small:
        grows = int(item[1]["size"])
        if not batches or size + grows > BATCH_BYTES or len(batches[-1]) >= BATCH_BLOBS:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += grows
    return batches


def upload_batch(
    client: CentralClient,
    blob_root: Path,
    batch: list[tuple[str, Mapping[str, Any]]],
    link: LinkState,
) -> list[str]:
    """Send small blobs whole in one request; what that does not complete goes blob by blob.

    A batch cut off on the way up, refused whole, or sent to a central server that has no batch
    route (an older release answers not_found) is not tried again in this round: its blobs, and
    every later batch's, take the resumable path, whose chunks shrink on a link that keeps
    cutting. So a bad link wastes at most the part of one batch per request in flight before the
    round adapts, and the next round tries batches again. A blob the batch refused (its file does
    not match its hash, or central knows it with another size) goes the same way, which reports
    that blob's own fault as it always did.
    """
    readable: list[tuple[Mapping[str, Any], bytes]] = []
    for sha256, attachment in batch:
        data = _read_whole(blob_path(blob_root, sha256), int(attachment["size"]))
        if data is not None:
            readable.append((attachment, data))
    completed: list[str] = []
    if link.batches and readable:
        try:
            results = client.send_blob_batch(readable)
        except Offline:
            link.batches = False
            link.clean_run, link.chunk_size = 0, MIN_CHUNK
        except ApiError as error:
            link.batches = False
            log.info("blob batch refused (%s): sending blob by blob", error.code)
        else:
            completed = [r["sha256"] for r in results if r.get("status") == "complete"]
    held = set(completed)
    for sha256, attachment in batch:
        if sha256 not in held:
            upload_blob(client, blob_path(blob_root, sha256), attachment, link)
            completed.append(sha256)
    return completed


def _read_whole(path: Path, size: int) -> bytes | None:
    """Return a blob file's bytes, or None if it is missing or not its size (the resumable
    path then reports it)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) == size else None


def _mark_complete(store: Store, digests: list[str], now: datetime) -> int:
    count = len(digests)
    if digests:
        sync = store.sync
        with store.write():
            for sha256 in digests:
                sync.mark_blob_complete(sha256, format_time(now))
        digests.clear()
    return count


def _create(
    client: CentralClient, path: Path, attachment: Mapping[str, Any], link: LinkState
) -> dict[str, Any]:
    """Announce a blob with its first chunk (one request for a blob that fits in one chunk).

    Whatever goes wrong with that request, the blob is announced the plain way and the chunk
    loop finds out from central's answer where to go on: a cut, a checksum or a hash mismatch
    are all handled there.
    """
    sha256, size, media_type = (
        attachment["sha256"],
        int(attachment["size"]),
        attachment["media_type"],
    )
    with open(path, "rb") as source:
        first = source.read(link.chunk_size)
    try:
        return client.create_blob(sha256, size, media_type, first)
    except Offline:
        link.clean_run = 0
        link.chunk_size = MIN_CHUNK
    except ApiError as error:
        if error.code not in (stages.CHUNK_CHECKSUM_MISMATCH, stages.BLOB_HASH_MISMATCH):
            raise
    return client.start_blob(sha256, size, media_type)


@dataclass
class LinkState:
    """The chunk size the link has borne so far in this round, and how long it has held."""

    chunk_size: int = FIRST_CHUNK
    clean_run: int = 0
    batches: bool = True  # small blobs still go up in batches (not after a cut or a refusal)


def upload_blob(
    client: CentralClient,
    path: Path,
    attachment: Mapping[str, Any],
    link: LinkState | None = None,
) -> None:
    """Send one blob in resumable chunks, continuing from the offset central holds."""
    link = link or LinkState()
    sha256, size = attachment["sha256"], int(attachment["size"])
    if not path.exists() or path.stat().st_size != size:
        raise BlobUnavailable(N_("附件文件缺失或大小不符：%(sha)s…"), sha=sha256[:12])
    answer = _create(client, path, attachment, link)
    offset, complete = int(answer.get("offset", 0)), bool(answer.get("complete"))
    restarted = False
    checksum_failures = 0
    cuts = 0
    while not complete:
        with open(path, "rb") as source:
            source.seek(offset)
            chunk = source.read(link.chunk_size)
        if not chunk:
            raise BlobUnavailable(N_("附件文件缺失或大小不符：%(sha)s…"), sha=sha256[:12])
        try:
            answer = client.send_chunk(sha256, offset, chunk)
        except Offline:
            # A link that drops every few hundred KB would never carry a big chunk whole: after
            # a cut, small chunks, so little is re-sent after the next one. Ask central what it
            # holds and go on from there; give up this round after many cuts.
            cuts += 1
            link.clean_run = 0
            link.chunk_size = MIN_CHUNK
            if cuts > MAX_CUTS_PER_ROUND:
                raise
            try:
                answer = client.blob_status(sha256)
            except Offline:
                continue
            offset, complete = int(answer.get("offset", 0)), bool(answer.get("complete"))
            continue
        except ApiError as error:
            held = error.body.get("offset")
            if error.code == stages.OFFSET_MISMATCH and isinstance(held, int):
                offset = held  # continue from what central really holds
                continue
            if error.code == stages.NOT_FOUND and not restarted:
                # Central lost the announcement (a power cut): announce again, go on from there.
                restarted = True
                answer = client.start_blob(sha256, size, attachment["media_type"])
                offset, complete = int(answer.get("offset", 0)), bool(answer.get("complete"))
                continue
            if error.code == stages.CHUNK_CHECKSUM_MISMATCH and checksum_failures < 3:
                checksum_failures += 1
                continue
            if error.code == stages.BLOB_HASH_MISMATCH and not restarted:
                if file_sha256(path) != sha256:
                    raise BlobUnavailable(
                        N_("附件文件已损坏（摘要不符）：%(sha)s…"), sha=sha256[:12]
                    ) from None
                restarted = True
                answer = client.start_blob(sha256, size, attachment["media_type"])
                offset, complete = int(answer.get("offset", 0)), bool(answer.get("complete"))
                continue
            raise
        offset, complete = int(answer.get("offset", 0)), bool(answer.get("complete"))
        link.clean_run += 1
        if link.clean_run >= GROW_AFTER and link.chunk_size < CHUNK:
            # The link has held for a while: try bigger chunks again (fewer requests).
            link.chunk_size, link.clean_run = min(CHUNK, link.chunk_size * 2), 0
