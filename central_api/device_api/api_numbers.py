"""Whole numbers in the device API's query parameters and headers (docs/protocol.md 13.2, 13.7,
13.9, 13.17): ASCII digits only, one parsing rule for every such parameter.

Python's ``int()`` takes far more than a protocol allows: ``"+1"``, ``" 1"``, ``"1_0"`` and the
digits of other scripts (``"١"``, ``"１"``). A second client must not come to depend on any of that.
"""

from __future__ import annotations

import re

# At most 16 digits: 2**53 (the protocol's largest integer) has 16, so nothing longer is in range
# and int() never sees a string long enough to be slow or refused by Python's digit limit.
_ASCII_DIGITS = re.compile(r"[0-9]{1,16}")


def ascii_number(text: object) -> int | None:
    """Return the whole number written in 1–16 ASCII digits, or None for anything else."""
    if not isinstance(text, str) or _ASCII_DIGITS.fullmatch(text) is None:
        return None
    return int(text)
