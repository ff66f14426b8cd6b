"""Attachments (blobs): content-addressed files, uploaded in resumable chunks in the manner of tus.

The bytes live under ``<CENTRAL_HOME>/blobs`` — storage every worker shares — and the database
records how many of them are durably held. A chunk is appended and fsynced before its offset is
recorded, so a crash never records bytes that are not on disk; bytes beyond the recorded offset
(written just before a crash) are cut off by the next chunk.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from central_api.device_api.api_numbers import ascii_number
from central_api.errors import Refusal
from central_api.stores.store import CentralStore
from sync import stages
from sync.events import format_time
from sync.files import fsync_dir

MAX_BLOB = 64 * 1024 * 1024
MAX_CHUNK = 1024 * 1024


def is_sha256(text: Any) -> bool:
    """Tell whether a value is a lowercase hex SHA-256 (the name of a blob)."""
    return isinstance(text, str) and len(text) == 64 and not text.strip("0123456789abcdef")


def blob_path(home: Path, sha256: str) -> Path:
    """Return where a complete blob is kept."""
    return home / "blobs" / sha256[:2] / sha256


def _partial_path(home: Path, sha256: str) -> Path:
    return home / "blobs" / "partial" / sha256


def _answer(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "sha256": row["sha256"],
        "size": int(row["size"]),
        "offset": int(row["received"]),
        "complete": bool(row["complete"]),
    }


def announce_blob(
    store: CentralStore, home: Path, sha256: Any, size: Any, media_type: Any, now: datetime
) -> dict[str, Any]:
    """Remember an upload before any byte is sent and tell the offset to continue from."""
    check_announcement(sha256, size, media_type)
    # An announcement lost to a power cut is made again by the device's next attempt (a chunk
    # for an unknown upload answers not_found): it need not wait for the disk.
    with store.light_transaction() as c:
        row = store.blob(c, sha256, lock=True)
        if row is None:
            store.add_blob(
                c,
                {
                    "sha256": sha256,
                    "size": size,
                    "media_type": media_type,
                    "received": 0,
                    "complete": 0,
                    "created_at": format_time(now),
                },
            )
            if size == 0 and not _finish(store, c, home, sha256, b""):
                raise Refusal(stages.BLOB_HASH_MISMATCH, "空附件的摘要不符。")
            row = store.blob(c, sha256)
        elif int(row["size"]) != size:
            raise Refusal(stages.MALFORMED_REQUEST, "该附件已按另一个大小登记，请检查文件。")
        assert row is not None
        return _answer(row)


def create_with_upload(
    store: CentralStore,
    home: Path,
    sha256: str,
    size: int,
    media_type: Any,
    checksum_header: str | None,
    chunk: bytes,
    now: datetime,
) -> dict[str, Any]:
    """Announce an upload and append its first chunk, if central holds none of it yet.

    One request instead of two for every blob that fits in one chunk (most scans of a page). A
    blob central already holds in part or whole is only announced: the answer's offset tells the
    device where to go on, exactly as after ``announce_blob``.
    """
    if chunk and len(chunk) == size <= MAX_CHUNK:
        # The common case, a scan that fits in one chunk: when it is whole and its hash checks,
        # keep it with one transaction and no partial file, instead of announcing and appending.
        check_announcement(sha256, size, media_type)
        digest = hashlib.sha256(chunk).digest()
        claimed = "sha256 " + base64.b64encode(digest).decode("ascii")
        if digest.hex() == sha256 and checksum_header == claimed:
            kept = _store_whole(store, home, sha256, size, media_type, chunk, now)
            if kept is not None:
                return kept
    status = announce_blob(store, home, sha256, size, media_type, now)
    if status["complete"] or status["offset"] != 0 or not chunk:
        return status
    return append_chunk(store, home, sha256, "0", checksum_header, chunk)


def check_announcement(sha256: Any, size: Any, media_type: Any) -> None:
    """Refuse an announcement whose hash, size or media type is not one central takes."""
    if not is_sha256(sha256):
        raise Refusal(stages.MALFORMED_REQUEST, "附件的 SHA-256 摘要格式不正确。")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise Refusal(stages.MALFORMED_REQUEST, "附件大小不正确。")
    if not isinstance(media_type, str) or not 0 < len(media_type) <= 64:
        raise Refusal(stages.MALFORMED_REQUEST, "附件类型不正确。")
    if size > MAX_BLOB:
        raise Refusal(stages.BLOB_TOO_LARGE, "附件超过 64 MB，不能上传。")


def _store_whole(
    store: CentralStore,
    home: Path,
    sha256: str,
    size: int,
    media_type: str,
    data: bytes,
    now: datetime,
) -> dict[str, Any] | None:
    """Keep a blob that arrived whole and checked in one request: the file durably in place
    first, then one transaction records it complete. None if central already holds it in part
    with another size (the general path answers that)."""
    target = blob_path(home, sha256)
    if not target.exists():
        os.replace(write_temporary(target, data), target)  # same bytes whoever wins the race
        fsync_dir(target.parent)
    begun_in_chunks = False
    with store.transaction() as c:
        row = store.blob(c, sha256, lock=True)
        if row is None:
            row = {
                "sha256": sha256,
                "size": size,
                "media_type": media_type,
                "received": size,
                "complete": 1,
                "created_at": format_time(now),
            }
            store.add_blob(c, row)
        elif int(row["size"]) != size:
            return None
        elif not row["complete"]:
            store.set_blob_progress(c, sha256, size, complete=True)
            row = {**row, "received": size, "complete": 1}
            begun_in_chunks = True
    if begun_in_chunks:
        discard_partial(home, sha256)
    return _answer(row)


def discard_partial(home: Path, sha256: str) -> None:
    """Remove what a chunked upload of a blob left once the blob is complete another way.

    Under the upload's lock: a chunk waiting for it then finds the blob complete and answers
    with central's offset (the client asks again and hears "complete").
    """
    with _upload_lock(home, sha256):
        _partial_path(home, sha256).unlink(missing_ok=True)


@contextmanager
def _upload_lock(home: Path, sha256: str) -> Iterator[None]:
    """Hold the lock that serializes the chunks of one upload, across threads and workers.

    The lock is a file that is never renamed or removed (one of 256, by the hash's first byte),
    not the partial file itself: the last chunk moves the partial into place, and a chunk that
    opened the partial's name just then would have locked a new, empty file and written into it
    beside the upload it raced with. Two uploads that share a lock file only wait for each other.
    """
    folder = home / "blobs" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder / sha256[:2], os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def write_temporary(target: Path, data: bytes | memoryview) -> Path:
    """Write a checked blob durably beside its place, under a name of this thread; return it.

    The caller renames it into place (its name is its hash, so whoever wins a race wrote the same
    bytes) and flushes the folder; a failure leaves no temporary file behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{os.getpid()}.{threading.get_ident()}"
    try:
        with open(temporary, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def blob_status(store: CentralStore, sha256: str) -> dict[str, Any]:
    """Tell how much of a blob is held."""
    with store.reading() as c:
        row = store.blob(c, sha256) if is_sha256(sha256) else None
    if row is None:
        raise Refusal(stages.NOT_FOUND, "服务器上没有这个附件的上传记录。")
    return _answer(row)


def _read_checksum(header: str | None) -> bytes:
    algorithm, _, value = (header or "").partition(" ")
    try:
        digest = base64.b64decode(value.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        digest = b""
    if algorithm.lower() != "sha256" or len(digest) != 32:
        raise Refusal(
            stages.CHUNK_CHECKSUM_MISMATCH, "Upload-Checksum 应为 “sha256 <base64 摘要>”。"
        )
    return digest


def append_chunk(
    store: CentralStore,
    home: Path,
    sha256: str,
    offset_header: str | None,
    checksum_header: str | None,
    chunk: bytes,
) -> dict[str, Any]:
    """Append one chunk at the held offset, fsync it, record the new offset; check the whole hash
    when the last byte arrives."""
    offset = ascii_number(offset_header)
    if offset is None:
        raise Refusal(stages.MALFORMED_REQUEST, "缺少或无法识别 Upload-Offset。")
    checksum = _read_checksum(checksum_header)
    if len(chunk) > MAX_CHUNK:
        raise Refusal(stages.BLOB_TOO_LARGE, "每块最多 1 MB。")
    if not is_sha256(sha256):
        raise Refusal(stages.NOT_FOUND, "服务器上没有这个附件的上传记录，请先登记。")
    # The upload's own lock, not the database's write lock, serializes chunks of one blob: the
    # slow part (writing and flushing the bytes) then never holds up other uploads.
    with _upload_lock(home, sha256):
        with store.reading() as c:
            row = store.blob(c, sha256)
        if row is None:
            raise Refusal(stages.NOT_FOUND, "服务器上没有这个附件的上传记录，请先登记。")
        held = int(row["received"])
        partial = _partial_path(home, sha256)
        if row["complete"]:
            partial.unlink(missing_ok=True)
        if row["complete"] or offset != held:
            raise Refusal(
                stages.OFFSET_MISMATCH,
                "上传位置与服务器记录不符，请从服务器告知的位置继续。",
                offset=held,
            )
        if hashlib.sha256(chunk).digest() != checksum:
            raise Refusal(stages.CHUNK_CHECKSUM_MISMATCH, "这一块数据的校验和不符，请重发。")
        size = int(row["size"])
        if held + len(chunk) > size:
            raise Refusal(stages.MALFORMED_REQUEST, "上传的数据超过了登记的附件大小。")
        partial.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "ab") as out:
            if os.fstat(out.fileno()).st_size < held:
                # The bytes the record counts are gone (the file was removed by hand or lost
                # with a disk): start the upload again rather than pad it with zeros.
                out.truncate(0)
                with store.transaction() as c:
                    store.set_blob_progress(c, sha256, 0, complete=False)
                raise Refusal(
                    stages.OFFSET_MISMATCH,
                    "服务器上已收到的部分丢失了，请从头重新上传。",
                    offset=0,
                )
            out.truncate(held)  # whatever lies beyond the recorded offset was never acknowledged
            out.seek(held)
            out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        received = held + len(chunk)
        whole = received < size or _move_into_place(home, sha256)
        with store.transaction() as c:
            current = store.blob(c, sha256, lock=True)
            # A whole upload of the same blob (another request, which takes no upload lock) may
            # have completed it since the row was read: complete stays complete.
            finished_elsewhere = current is not None and bool(current["complete"])
            if finished_elsewhere:
                pass
            elif not whole:
                store.set_blob_progress(c, sha256, 0, complete=False)
            else:
                store.set_blob_progress(c, sha256, received, complete=received == size)
            answer = store.blob(c, sha256)
    if not whole and not finished_elsewhere:
        # Raised after the commit: the discarded upload must stay discarded.
        raise Refusal(stages.BLOB_HASH_MISMATCH, "附件内容与其 SHA-256 摘要不符，请从头重新上传。")
    assert answer is not None
    return _answer(answer)


def _move_into_place(home: Path, sha256: str) -> bool:
    """Check a whole upload's hash and move it into place durably, or discard it."""
    partial = _partial_path(home, sha256)
    digest = hashlib.sha256()
    with open(partial, "rb") as source:
        for piece in iter(lambda: source.read(1 << 20), b""):
            digest.update(piece)
    if digest.hexdigest() != sha256:
        partial.unlink(missing_ok=True)
        return False
    target = blob_path(home, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, target)
    fsync_dir(target.parent)
    return True


def _finish(store: CentralStore, c: Any, home: Path, sha256: str, data: bytes | None) -> bool:
    """Check a whole upload's hash and move it into place, or discard it so it starts again."""
    partial = _partial_path(home, sha256)
    if data is not None:
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
    if not _move_into_place(home, sha256):
        store.set_blob_progress(c, sha256, 0, complete=False)
        return False
    store.set_blob_progress(c, sha256, int(os.path.getsize(blob_path(home, sha256))), complete=True)
    return True


def store_file(store: CentralStore, home: Path, sha256: str, source: Path, now: datetime) -> bool:
    """Take a whole blob from a file (USB import); True if it was new, refusing a wrong hash."""
    data = source.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Refusal(stages.BLOB_HASH_MISMATCH, f"U盘上的附件 {sha256[:12]}… 内容与摘要不符。")
    status = announce_blob(store, home, sha256, len(data), "application/octet-stream", now)
    if status["complete"]:
        return False
    offset = status["offset"]
    while offset < len(data):
        piece = data[offset : offset + MAX_CHUNK]
        offset = append_chunk(store, home, sha256, str(offset), checksum_for(piece), piece)[
            "offset"
        ]
    return True


def checksum_for(chunk: bytes) -> str:
    """Return the Upload-Checksum header value of a chunk."""
    return "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode("ascii")
