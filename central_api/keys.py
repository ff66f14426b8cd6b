"""The central server's signing key: it signs receipts and feed entries; devices pin its public half."""

from __future__ import annotations

import os
from pathlib import Path

from sync.signing import SigningKey


def load_or_create(home: Path) -> SigningKey:
    """Return the central key kept in the data folder, making it on first start."""
    path = home / "central_key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        key = SigningKey.generate()
        # Written with owner-only permissions before any byte of the key touches the disk.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.private_bytes())
            out.flush()
            os.fsync(out.fileno())
    return SigningKey.from_bytes(path.read_bytes())


def fingerprint(key_id: str) -> str:
    """Return the short form of a key id that an admin reads out with an enrollment code."""
    return "-".join(key_id[i : i + 4] for i in range(0, 16, 4))
