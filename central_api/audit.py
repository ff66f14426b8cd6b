"""Re-verification of what central keeps: every stored bundle against its device's key."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from central_api.stores.store import CentralStore
from sync.errors import DomainError
from sync.signing import BUNDLE_TYPE, Envelope, verify_envelope


@dataclass(frozen=True)
class Problem:
    """A stored bundle that no longer verifies."""

    device_id: str
    sequence: int
    bundle_hash: str
    reason: str


def verify_bundle(row: Mapping[str, Any], keys: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Verify one stored bundle's envelope bytes against its device's keys; return the problem, or
    None when it verifies."""
    try:
        envelope = Envelope.from_json(bytes(row["envelope"]))
        trusted = {
            kid: keys[kid]["public_key"]
            for kid, _ in envelope.signatures
            if kid in keys and keys[kid]["device_id"] == row["device_id"]
        }
        verify_envelope(envelope, BUNDLE_TYPE, trusted)
        if hashlib.sha256(envelope.payload).hexdigest() != row["bundle_hash"]:
            raise ValueError("摘要与记录不符")
    except (DomainError, ValueError) as error:
        return str(error)
    return None


def verify_stored_bundles(store: CentralStore) -> tuple[int, list[Problem]]:
    """Verify every stored bundle's envelope bytes again; return how many were checked and the
    problems found."""
    checked = 0
    problems: list[Problem] = []
    with store.reading() as c:
        keys = {k["key_id"]: k for k in store.all_keys(c)}
    for row in store.stored_bundles():
        checked += 1
        reason = verify_bundle(row, keys)
        if reason is not None:
            problems.append(Problem(row["device_id"], row["sequence"], row["bundle_hash"], reason))
    return checked, problems
