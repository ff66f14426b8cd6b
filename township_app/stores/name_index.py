"""The applicants' name index: an FTS5 table of each name's characters and character pairs, in
registration order.

A name search is a substring search. SQLite's trigram tokenizer finds substrings of three
characters or more, but most Chinese names are two or three characters and a clerk types one or
two of them. So each name is indexed by its characters and its overlapping pairs (``grams``:
"王 小 明 王小 小明"): one character is one token, two are one token, and three or more are all
their pairs (then checked against the whole name, ``joined``). Characters
that are neither letters nor digits (spaces, "·") are left out of names and queries alike.

The table keeps no positions (``detail=none``): counting a family name's tens of thousands of
cases reads only their row numbers. Its rowid is the case's registration time in microseconds
(times 1024, plus a tie-breaker), so the newest matches come first straight from the index and a
page of results reads only its own rows; ``case_name_keys`` maps each case's row to its entry.
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

TIES = 1024


def create_name_index(db: Database) -> None:
    """Create the FTS5 table of applicants' names and its key table (empty)."""
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS case_names USING fts5("
        "grams, joined UNINDEXED, case_rowid UNINDEXED,"
        " tokenize = 'unicode61 remove_diacritics 0', detail = none)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS case_name_keys ("
        " case_rowid INTEGER PRIMARY KEY, name_key INTEGER NOT NULL, name TEXT NOT NULL)"
    )


def _characters(text: str) -> list[str]:
    return [c for c in text.lower() if c.isalnum()]


def _pairs(chars: list[str]) -> list[str]:
    return [a + b for a, b in zip(chars, chars[1:], strict=False)]


def name_grams(name: str) -> tuple[str, str]:
    """Return a name's characters and overlapping pairs (space-separated), and the characters
    joined."""
    chars = _characters(name)
    return " ".join(chars + _pairs(chars)), "".join(chars)


def name_match(text: str) -> tuple[str, str] | None:
    """Return the FTS5 query finding names that contain ``text`` and the LIKE pattern the whole
    name is checked with ("%" when the query is exact); None: nothing to look for."""
    chars = _characters(text)[:40]
    if not chars:
        return None
    if len(chars) == 1:
        return f'"{chars[0]}"', "%"
    pairs = list(dict.fromkeys(_pairs(chars)))
    query = " AND ".join(f'"{pair}"' for pair in pairs)
    return query, "%" if len(chars) == 2 else "%" + "".join(chars) + "%"


def order_key(registered_at: str, tie: int = 0) -> int:
    """Return the index row number of a case registered at ``registered_at`` (UTC ISO-8601)."""
    moment = datetime.fromisoformat(registered_at.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1_000_000) * TIES + tie


def _free_key(db: Database, registered_at: str) -> int:
    for tie in range(TIES):
        key = order_key(registered_at, tie)
        if db.execute("SELECT 1 FROM case_names WHERE rowid = ?", [key]).fetchone() is None:
            return key
    raise RuntimeError("too many cases registered in one microsecond")


def keep_name_indexed(db: Database, case_rowid: int, name: str, registered_at: str) -> None:
    """Index a case's applicant name, unless it is indexed so already."""
    row = db.execute(
        "SELECT name_key, name FROM case_name_keys WHERE case_rowid = ?", [case_rowid]
    ).fetchone()
    if row is not None:
        if row[1] == name:
            return
        db.execute("DELETE FROM case_names WHERE rowid = ?", [row[0]])
    key = _free_key(db, registered_at)
    db.execute(
        "INSERT INTO case_names (rowid, grams, joined, case_rowid) VALUES (?, ?, ?, ?)",
        [key, *name_grams(name), case_rowid],
    )
    db.execute(
        "INSERT INTO case_name_keys (case_rowid, name_key, name) VALUES (?, ?, ?)"
        " ON CONFLICT (case_rowid) DO UPDATE SET name_key = excluded.name_key,"
        " name = excluded.name",
        [case_rowid, key, name],
    )


def reindex_names(db: Database) -> int:
    """Index every case's applicant name afresh; return how many."""
    db.execute("DELETE FROM case_names")
    db.execute("DELETE FROM case_name_keys")
    rows = db.execute(
        "SELECT rowid, applicant_name, registered_at FROM cases ORDER BY registered_at, rowid"
    ).fetchall()
    entries, keys, last = [], [], -1
    for case_rowid, name, registered_at in rows:
        key = max(order_key(registered_at), last + 1)  # ties: the next free number
        last = key
        entries.append((key, *name_grams(name), case_rowid))
        keys.append((case_rowid, key, name))
    db.conn.executemany(
        "INSERT INTO case_names (rowid, grams, joined, case_rowid) VALUES (?, ?, ?, ?)",
        entries,
    )
    db.conn.executemany(
        "INSERT INTO case_name_keys (case_rowid, name_key, name) VALUES (?, ?, ?)", keys
    )
    return len(rows)
