"""Durable writes on disk that both apps share."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries to the disk, so that a file renamed into it survives a power cut."""
    if os.name == "nt":  # Windows cannot open a folder to fsync it; NTFS journals the rename
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
