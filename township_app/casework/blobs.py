"""Scans on disk, content-addressed by SHA-256.

A scan is written to a temporary file, fsynced, renamed to its hash and its folder fsynced, all before
the database row that names it is committed: after a power cut a row never points at a missing file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sync.errors import N_, InvalidInput
from sync.files import fsync_dir

CHUNK = 64 * 1024

# Only what a scanner or a phone produces; the type is read from the first bytes, not the name.
MEDIA_TYPES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
}


@dataclass(frozen=True)
class StoredScan:
    """A scan kept on disk."""

    sha256: str
    size: int
    media_type: str
    filename: str


def sniff_media_type(head: bytes) -> str | None:
    """Return the media type of a file from its first bytes, or None if it is not accepted."""
    for magic, media_type in MEDIA_TYPES.items():
        if head.startswith(magic):
            return media_type
    return None


def blob_path(root: Path, sha256: str) -> Path:
    """Return where a blob with this hash lives."""
    return root / sha256[:2] / sha256


def save_scan(root: Path, stream: BinaryIO, filename: str, max_bytes: int) -> StoredScan:
    """Write an uploaded scan to the blob folder durably and return its hash, size and type."""
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(
                        N_("文件「%(name)s」超过 %(limit)s MB，请压缩或分页扫描后再上传。"),
                        field="files",
                        name=filename,
                        limit=max_bytes // (1024 * 1024),
                    )
                if len(head) < 16:
                    head += chunk[:16]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise InvalidInput(N_("文件「%(name)s」是空的。"), field="files", name=filename)
        media_type = sniff_media_type(head)
        if media_type is None:
            raise InvalidInput(
                N_("文件「%(name)s」不是 JPG、PNG 或 PDF 格式，不能作为材料扫描件。"),
                field="files",
                name=filename,
            )
        sha256 = digest.hexdigest()
        target = blob_path(root, sha256)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, target)
            fsync_dir(target.parent)
        return StoredScan(sha256=sha256, size=size, media_type=media_type, filename=filename)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
