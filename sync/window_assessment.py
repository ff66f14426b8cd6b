"""The assessment per hall window (窗口号): the month's figures of the staff members serving at a
window, summed, then scored as one (``sync.assessment.rank``).

Numerators and denominators are summed before any rate is taken, so a window's rate is that of
all its cases, not an average of its staff's rates. A staff member is counted at the window their
account names now; one with no window is left out of this table (still in the staff ranking).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def window_sums(
    staff_sums: Mapping[str, Mapping[str, int]], window_of: Callable[[str], str]
) -> dict[str, dict[str, int]]:
    """Sum staff members' month sums (keyed "unit/username") by the window each serves at."""
    windows: dict[str, dict[str, int]] = {}
    for key, sums in staff_sums.items():
        window = window_of(key.partition("/")[2])
        if not window:
            continue
        total = windows.setdefault(window, {})
        for metric, value in sums.items():
            total[metric] = total.get(metric, 0) + int(value)
    return windows
