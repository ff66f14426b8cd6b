"""The USB stick (sneakernet) layout: the same signed bytes as over the network, as files.

    <DIR>/bianmin/bundles/<device_id>/<sequence:08d>.dsse.json   a bundle envelope, verbatim
    <DIR>/bianmin/blobs/<sha256>                                 an attachment, named by its hash
    <DIR>/bianmin/feed/<org_code>/<seq:010d>.dsse.json           a feed entry envelope, verbatim
    <DIR>/bianmin/receipts/<device_id>/<sequence:08d>.dsse.json  central's receipt for a bundle
    <DIR>/bianmin/certificates/<device_id>.dsse.json             central's certificate of a device's
                                                                 key (a village PC's, for the
                                                                 township that relays its bundles)
    <DIR>/bianmin/enrollment/<device_id>.json                    central's answer to a PC's
                                                                 enrollment request by file (with
                                                                 its unit's feed beside it)

Files are written to a temporary name, fsynced and renamed, so a stick pulled out half-way holds
only whole files. Reading returns bytes; verification happens where the network path verifies.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from sync.errors import N_, InvalidInput

ROOT = "bianmin"


def is_folder(path: Path) -> bool:
    """Tell whether a path typed on a page is a folder; False, not an error, for a name the file
    system cannot even look up (too long, or with a NUL in it)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def stick_folder(text: str, *, must_exist: bool) -> Path:
    """Return the stick's folder as a person typed it on a page, or refuse it with what to do
    (it must be a full path; to read it must be there, to write its parent must)."""
    folder = Path(text.strip())
    if not text.strip() or not folder.is_absolute():
        raise InvalidInput(
            N_("请填写 U 盘文件夹的完整路径，例如 /media/usb 或 E:\\。"), field="folder"
        )
    if not is_folder(folder if must_exist else folder.parent):
        raise InvalidInput(
            N_("找不到文件夹「%(path)s」：请插好 U 盘并检查路径。"), field="folder", path=text
        )
    return folder


def _write_once(path: Path, data: bytes) -> bool:
    """Write a file atomically unless it is already there with the same bytes; True if written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    return True


def write_bundle(folder: Path, device_id: str, sequence: int, envelope: bytes) -> bool:
    """Put one bundle on the stick."""
    return _write_once(
        folder / ROOT / "bundles" / device_id / f"{sequence:08d}.dsse.json", envelope
    )


def write_blob(folder: Path, sha256: str, source: Path) -> bool:
    """Copy one attachment to the stick (skipped when already there)."""
    target = folder / ROOT / "blobs" / sha256
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return False
    return _write_once(target, source.read_bytes())


def write_feed_entry(folder: Path, org_code: str, seq: int, envelope: bytes) -> bool:
    """Put one feed entry on the stick."""
    return _write_once(folder / ROOT / "feed" / org_code / f"{seq:010d}.dsse.json", envelope)


def write_receipt(folder: Path, device_id: str, sequence: int, envelope: bytes) -> bool:
    """Put central's receipt for one bundle on the stick."""
    return _write_once(
        folder / ROOT / "receipts" / device_id / f"{sequence:08d}.dsse.json", envelope
    )


def write_certificate(folder: Path, device_id: str, envelope: bytes) -> bool:
    """Put central's certificate of this device's key on the stick."""
    return _write_once(folder / ROOT / "certificates" / f"{device_id}.dsse.json", envelope)


def read_certificate(folder: Path, device_id: str) -> bytes | None:
    """Return the certificate of one device's key from the stick, if it is there."""
    path = folder / ROOT / "certificates" / f"{device_id}.dsse.json"
    return path.read_bytes() if path.is_file() else None


def write_enrollment_answer(folder: Path, device_id: str, answer: bytes) -> bool:
    """Put central's answer to one PC's enrollment request on the stick."""
    return _write_once(folder / ROOT / "enrollment" / f"{device_id}.json", answer)


def read_enrollment_answer(folder: Path, device_id: str) -> bytes | None:
    """Return central's answer to this PC's enrollment request from the stick, if it is there."""
    path = folder / ROOT / "enrollment" / f"{device_id}.json"
    return path.read_bytes() if path.is_file() else None


def _numbered(folder: Path) -> Iterator[tuple[int, Path]]:
    """Yield (number, path) of the envelopes in a folder of the stick, in order.

    Only names this software writes (``<digits>.dsse.json``) count: a stick also collects what
    other systems leave beside them (``._00000001.dsse.json`` from a Mac, ``00000001 (2).dsse.json``
    from a copy in Windows Explorer), which are none of ours and are passed over.
    """
    found = []
    for path in folder.glob("*.dsse.json"):
        number = path.name.removesuffix(".dsse.json")
        if number.isascii() and number.isdigit() and path.is_file():
            found.append((int(number), path))
    yield from sorted(found)


def read_receipts(folder: Path, device_id: str) -> Iterator[tuple[int, bytes]]:
    """Yield (sequence, receipt envelope bytes) of the receipts for one device, in order."""
    for sequence, path in _numbered(folder / ROOT / "receipts" / device_id):
        yield sequence, path.read_bytes()


def read_bundles(folder: Path) -> Iterator[tuple[str, int, bytes]]:
    """Yield (device id, sequence, envelope bytes) of every bundle on the stick, in order."""
    base = folder / ROOT / "bundles"
    for device in sorted(p for p in base.glob("*") if p.is_dir() and not p.name.startswith(".")):
        for sequence, path in _numbered(device):
            yield device.name, sequence, path.read_bytes()


def read_blobs(folder: Path) -> Iterator[tuple[str, Path]]:
    """Yield (claimed SHA-256, path) of every attachment on the stick (named by its hash: a
    half-written ``.part`` and files other systems leave are passed over)."""
    for path in sorted((folder / ROOT / "blobs").glob("*")):
        name = path.name
        if len(name) == 64 and not name.strip("0123456789abcdef") and path.is_file():
            yield name, path


def read_feed(folder: Path, org_code: str) -> Iterator[tuple[int, bytes]]:
    """Yield (feed sequence, envelope bytes) of the feed entries for one org unit, in order."""
    for seq, path in _numbered(folder / ROOT / "feed" / org_code):
        yield seq, path.read_bytes()


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file, read in pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for piece in iter(lambda: source.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()
