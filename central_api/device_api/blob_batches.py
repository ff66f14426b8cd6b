"""Batches of small whole blobs in one signed request (protocol 13.7, ``POST /api/v1/blob-batches``).

A 200 KB scan sent on its own costs central a request: the signed-request check with its nonce row,
a transaction, a folder flush. A batch pays those once for many scans. The body is one line of JSON,
the manifest, then the blobs' bytes back to back in its order: the sizes in the manifest say where
each blob ends, so nothing scans the bytes for a boundary and nothing is base64-encoded.

Each blob is checked on its own: a bad one is refused in the answer and the good ones are kept.
What is kept is durable before it is recorded, as on the single-blob path: every file is written to
a temporary name and flushed, renamed into place, its folder flushed, and then one transaction
records them all.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from central_api.device_api.blobs import (
    MAX_CHUNK,
    blob_path,
    check_announcement,
    discard_partial,
    write_temporary,
)
from central_api.errors import Refusal
from central_api.stores.store import CentralStore
from sync import stages
from sync.errors import InvalidInput
from sync.events import format_time
from sync.files import fsync_dir
from sync.signing import strict_loads

MAX_BLOBS = 64  # blobs in one batch
MAX_BYTES = 8 * 1024 * 1024  # of blob bytes in one batch
MAX_BLOB = MAX_CHUNK  # one blob in a batch: what the single-blob path takes whole in one request
MAX_MANIFEST = 64 * 1024  # the manifest line; 64 entries need about 9 KB


@dataclass(frozen=True)
class BatchBlob:
    """One blob of a batch: what the manifest claims, and where its bytes lie in the body."""

    sha256: str
    size: int
    media_type: str
    start: int


def read_batch(body: bytes) -> list[BatchBlob]:
    """Read a batch body's manifest and check that the bytes after it are exactly the blobs'.

    Any fault here refuses the whole request, before anything is written.
    """
    end = body.find(b"\n", 0, MAX_MANIFEST + 1)
    if end < 0:
        raise Refusal(stages.MALFORMED_REQUEST, "批量上传应以一行 JSON 清单开头，并以换行结束。")
    try:
        manifest = strict_loads(body[:end])
    except (InvalidInput, RecursionError):
        raise Refusal(stages.MALFORMED_REQUEST, "批量上传的清单不是有效的 JSON。") from None
    entries = manifest.get("blobs") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not entries:
        raise Refusal(stages.MALFORMED_REQUEST, '清单应为 {"blobs": [...]}，且至少有一个附件。')
    if len(entries) > MAX_BLOBS:
        raise Refusal(stages.BATCH_TOO_LARGE, f"一批最多 {MAX_BLOBS} 个附件。")
    blobs: list[BatchBlob] = []
    start = end + 1
    for entry in entries:
        if not isinstance(entry, dict):
            raise Refusal(stages.MALFORMED_REQUEST, "清单中的每一项应为 JSON 对象。")
        sha256, size, media_type = entry.get("sha256"), entry.get("size"), entry.get("media_type")
        check_announcement(sha256, size, media_type)
        if size > MAX_BLOB:
            raise Refusal(stages.BLOB_TOO_LARGE, "批量上传的每个附件最多 1 MB，大的请分块上传。")
        blobs.append(BatchBlob(sha256, size, media_type, start))
        start += size
    if len({b.sha256 for b in blobs}) != len(blobs):
        raise Refusal(stages.MALFORMED_REQUEST, "同一批中有重复的附件。")
    if start - end - 1 > MAX_BYTES:
        raise Refusal(stages.BATCH_TOO_LARGE, "一批附件合计最多 8 MB。")
    if start != len(body):
        raise Refusal(stages.MALFORMED_REQUEST, "清单中的大小与随后的数据长度不符。")
    return blobs


def store_batch(
    store: CentralStore, home: Path, body: bytes, blobs: list[BatchBlob], now: datetime
) -> list[dict[str, Any]]:
    """Keep every blob of a batch that checks; answer one result per blob, in manifest order."""
    view = memoryview(body)
    with store.reading() as c:
        held = store.blobs(c, [b.sha256 for b in blobs])
    results: dict[str, dict[str, Any]] = {}
    keep: list[BatchBlob] = []
    for blob in blobs:
        row = held.get(blob.sha256)
        if row is not None and row["complete"] and int(row["size"]) == blob.size:
            results[blob.sha256] = _complete(blob)  # held already: its bytes are not looked at
        elif hashlib.sha256(view[blob.start : blob.start + blob.size]).hexdigest() != blob.sha256:
            results[blob.sha256] = _refused(
                blob, stages.BLOB_HASH_MISMATCH, "附件内容与其 SHA-256 摘要不符。"
            )
        elif row is not None and int(row["size"]) != blob.size:
            results[blob.sha256] = _other_size(blob)
        else:
            keep.append(blob)
    _put_in_place(home, view, keep)
    if keep:
        results.update(_record(store, home, keep, now))
    return [results[b.sha256] for b in blobs]


def _put_in_place(home: Path, view: memoryview, blobs: list[BatchBlob]) -> None:
    """Write the checked blobs durably into place; on a failure, leave no temporary file."""
    written: list[tuple[Path, Path]] = []
    try:
        for blob in blobs:
            target = blob_path(home, blob.sha256)
            if not target.exists():  # a file in place holds these very bytes: its name is the hash
                piece = view[blob.start : blob.start + blob.size]
                written.append((write_temporary(target, piece), target))
    except BaseException:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in written:
        os.replace(temporary, target)
    for folder in sorted({target.parent for _, target in written}):
        fsync_dir(folder)


def _record(
    store: CentralStore, home: Path, blobs: list[BatchBlob], now: datetime
) -> dict[str, dict[str, Any]]:
    """Record the blobs now in place complete, in one transaction."""
    results: dict[str, dict[str, Any]] = {}
    begun_in_chunks: list[str] = []
    with store.transaction() as c:
        rows = store.blobs(c, [b.sha256 for b in blobs], lock=True)
        new = []
        for blob in blobs:
            row = rows.get(blob.sha256)
            if row is None:
                new.append(
                    {
                        "sha256": blob.sha256,
                        "size": blob.size,
                        "media_type": blob.media_type,
                        "received": blob.size,
                        "complete": 1,
                        "created_at": format_time(now),
                    }
                )
            elif int(row["size"]) != blob.size:
                # Announced meanwhile with another size: refused as on the single-blob path. The
                # file in place does no harm; its name is its hash.
                results[blob.sha256] = _other_size(blob)
                continue
            elif not row["complete"]:
                store.set_blob_progress(c, blob.sha256, blob.size, complete=True)
                begun_in_chunks.append(blob.sha256)
            results[blob.sha256] = _complete(blob)
        store.add_blobs(c, new)
    for sha256 in begun_in_chunks:
        discard_partial(home, sha256)
    return results


def _complete(blob: BatchBlob) -> dict[str, Any]:
    return {"sha256": blob.sha256, "status": "complete"}


def _refused(blob: BatchBlob, code: str, message: str) -> dict[str, Any]:
    return {"sha256": blob.sha256, "status": "refused", "error": {"code": code, "message": message}}


def _other_size(blob: BatchBlob) -> dict[str, Any]:
    return _refused(blob, stages.MALFORMED_REQUEST, "该附件已按另一个大小登记，请检查文件。")
