"""When to try again: exponential back-off with jitter, honouring the server's Retry-After."""

from __future__ import annotations

import random

FIRST_DELAY = 1.0  # seconds: the first retry comes after 1–2 s
MAX_DELAY = 600.0  # 10 minutes: a PC offline for days still tries every 5–10 minutes


def retry_delay(
    failures: int, *, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Return the seconds to wait after ``failures`` failures in a row (1 → 1–2 s, doubling)."""
    if failures < 1:
        return 0.0
    ceiling = min(MAX_DELAY, FIRST_DELAY * 2 ** min(failures, 30))
    # Jitter over the upper half: PCs that lost the link together do not come back together.
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(float(retry_after), MAX_DELAY))
    return delay
