"""The page number of a list page (``?page=``), as both apps read it."""

from __future__ import annotations

MAX_PAGE = 99_999  # far past any list's end, and its row offset fits every database's integers


def page_number(raw: object) -> int:
    """Return the page asked for: 1–99,999 written in ASCII digits, else the first page."""
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit()) or len(raw) > 5:
        return 1
    return max(1, int(raw))
