"""The device's Ed25519 key on disk: made on this PC, kept in the data folder, never sent anywhere.

The key file holds the 32 raw private bytes as hex, readable by the owner only. It is written to a
temporary file, fsynced, renamed and its folder fsynced, so a power cut leaves either no key or the
whole key. During a rotation the new key waits in ``device_key.next`` and the old one is kept as
``device_key.previous`` until central confirms the change.
"""

from __future__ import annotations

import os
from pathlib import Path

from sync.files import fsync_dir
from sync.signing import SigningKey

KEY_FILE = "device_key"
NEXT_FILE = "device_key.next"
PREVIOUS_FILE = "device_key.previous"


def fingerprint(key_id: str) -> str:
    """Return the fingerprint read out to people: the key id's first 16 hex digits in fours."""
    head = key_id[:16].upper()
    return "-".join(head[i : i + 4] for i in range(0, 16, 4))


def same_fingerprint(given: str, key_id: str) -> bool:
    """Tell whether a fingerprint typed by a person names this key id (case, dashes, spaces aside)."""
    cleaned = "".join(c for c in given if c.isalnum()).lower()
    return len(cleaned) == 16 and key_id.lower().startswith(cleaned)


def load_key(home: Path, name: str = KEY_FILE) -> SigningKey | None:
    """Return a key kept in the data folder, or None when there is none."""
    path = home / name
    if not path.exists():
        return None
    return SigningKey.from_bytes(bytes.fromhex(path.read_text().strip()))


def save_key(home: Path, key: SigningKey, name: str = KEY_FILE) -> Path:
    """Write a key durably, readable by the owner only."""
    path = home / name
    temporary = home / (name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key.private_bytes().hex())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    fsync_dir(home)
    return path


def promote_next_key(home: Path) -> None:
    """Make the waiting new key the device key, keeping the old one as the previous key."""
    current, following = home / KEY_FILE, home / NEXT_FILE
    if current.exists():
        os.replace(current, home / PREVIOUS_FILE)
    os.replace(following, current)
    fsync_dir(home)


def forget_previous_key(home: Path) -> None:
    """Delete the backup of the replaced key (central confirmed the rotation)."""
    (home / PREVIOUS_FILE).unlink(missing_ok=True)
    fsync_dir(home)
