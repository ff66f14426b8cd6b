"""Attachments down: a device reads, in pieces, a scan named by a case it shares.

A village agency case has two sides: the township must see the entrustment and the other scans the
village took, and the village those the township added. A device may read a blob only if a case of
its own side names it: a township device, a case whose ``org_code`` is its unit; a village device, an
agency case of its village. Pieces come as base64 inside JSON, like every answer of the device API,
at most ``MAX_PIECE`` bytes each; the device checks the whole blob's SHA-256 at the end.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from central_api.device_api.api_numbers import ascii_number
from central_api.device_api.blobs import blob_path
from central_api.errors import Refusal
from central_api.stores.store import CentralStore
from sync import stages
from sync.agency import is_village_code, township_of

MAX_PIECE = 1024 * 1024
MAX_OFFSET = 2**53  # the protocol's integers; past the blob's end a piece is empty


def read_blob_piece(
    store: CentralStore,
    home: Path,
    device: Mapping[str, Any],
    sha256: str,
    offset: Any,
    length: Any,
) -> dict[str, Any]:
    """Return ``{"sha256", "size", "offset", "data"}``: a piece of a blob the device may read."""
    start, wanted = ascii_number(offset), ascii_number(length)
    if start is None or wanted is None:
        raise Refusal(stages.MALFORMED_REQUEST, "offset 和 length 应为只含 ASCII 数字的整数。")
    if start > MAX_OFFSET or not 1 <= wanted <= MAX_PIECE:
        raise Refusal(
            stages.MALFORMED_REQUEST,
            f"offset 应在 0 到 2^53 之间，length 应在 1 到 {MAX_PIECE} 之间。",
        )
    unknown = Refusal(stages.NOT_FOUND, "没有这个附件，或本单位无权读取。")
    if len(sha256) != 64 or sha256.strip("0123456789abcdef"):
        raise unknown
    org = device["org_code"]
    with store.reading() as c:
        row = store.blob(c, sha256)
        if row is None or not row["complete"]:
            raise unknown
        if is_village_code(org):
            allowed = store.case_names_file(c, township_of(org), sha256, agency_code=org)
        else:
            allowed = store.case_names_file(c, org, sha256)
    if not allowed:
        raise unknown
    size = int(row["size"])
    with open(blob_path(home, sha256), "rb") as source:
        source.seek(min(start, size))
        data = source.read(wanted)
    return {
        "sha256": sha256,
        "size": size,
        "offset": start,
        "data": base64.b64encode(data).decode("ascii"),
    }
