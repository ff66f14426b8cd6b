"""The applicants' name index: an FTS5 table of each name's characters and character pairs.

A name search is a substring search. SQLite's trigram tokenizer finds substrings of three
characters or more, but most Chinese names are two or three characters and a clerk types one or
two of them. So each name is indexed twice, in the row of its case (same rowid as ``cases``):
``uni`` holds its characters ("王 小 明") and ``bi`` its overlapping pairs ("王小 小明"). One
character is a token of ``uni``; two or more are the phrase of their pairs in ``bi`` (pairs in a
row ⇔ the characters in a row), so every length seeks the index and none scans the cases.
Characters that are neither letters nor digits (spaces, "·") split nothing: they are left out of
names and queries alike.
"""

from __future__ import annotations

from sqlite_utils import Database


def create_name_index(db: Database) -> None:
    """Create the FTS5 table of applicants' names (empty)."""
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS case_names USING fts5("
        "uni, bi, name UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')"
    )


def _characters(text: str) -> list[str]:
    return [c for c in text.lower() if c.isalnum()]


def name_grams(name: str) -> tuple[str, str]:
    """Return a name's characters and its overlapping character pairs, space-separated."""
    chars = _characters(name)
    return " ".join(chars), " ".join(a + b for a, b in zip(chars, chars[1:], strict=False))


def name_match(text: str) -> str | None:
    """Return the FTS5 query finding names that contain ``text`` (None: nothing to look for)."""
    chars = _characters(text)[:40]
    if not chars:
        return None
    if len(chars) == 1:
        return f'uni : "{chars[0]}"'
    return 'bi : "' + " ".join(a + b for a, b in zip(chars, chars[1:], strict=False)) + '"'


def keep_name_indexed(db: Database, rowid: int, name: str) -> None:
    """Index a case's applicant name under its rowid, unless it is indexed so already."""
    row = db.execute("SELECT name FROM case_names WHERE rowid = ?", [rowid]).fetchone()
    if row is not None:
        if row[0] == name:
            return
        db.execute("DELETE FROM case_names WHERE rowid = ?", [rowid])
    uni, bi = name_grams(name)
    db.execute(
        "INSERT INTO case_names (rowid, uni, bi, name) VALUES (?, ?, ?, ?)", [rowid, uni, bi, name]
    )


def reindex_names(db: Database) -> int:
    """Index every case's applicant name afresh; return how many."""
    db.execute("DELETE FROM case_names")
    rows = db.execute("SELECT rowid, applicant_name FROM cases").fetchall()
    db.conn.executemany(
        "INSERT INTO case_names (rowid, uni, bi, name) VALUES (?, ?, ?, ?)",
        [(rowid, *name_grams(name), name) for rowid, name in rows],
    )
    return len(rows)
