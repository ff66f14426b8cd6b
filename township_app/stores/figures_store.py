"""Every SQL statement of the kept 好差评 figures, the 差评 tasks' rows, the callback queue and its
claims, on the township store's connection (written by the case log's projection, in its
transaction; read by the 差评整改, 电话回访 and 统计 pages)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sync.case_figures import CaseFigureKey
from sync.rating_figures import FigureKey
from township_app.stores.store import Store

TASK_COLUMNS = (
    "case_id",
    "rating_id",
    "unit",
    "org_code",
    "staff",
    "stage",
    "step",
    "case_number",
    "item_code",
    "item_name",
    "level",
    "scale_version",
    "opened_on",
    "due_on",
    "answered_on",
)
QUEUE_COLUMNS = (
    "case_id",
    "rating_id",
    "purpose",
    "org_code",
    "case_number",
    "item_name",
    "since",
    "attempts",
)


class FiguresStore:
    """The kept figures and the rows the 差评 and callback pages list, on the store's connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    # Written by the case log's projection (inside its write transaction)

    def add_figures(self, change: Mapping[FigureKey, int]) -> None:
        """Add a case's change to the kept figures; a count that comes back to 0 is dropped."""
        if not change:
            return
        self.db.conn.executemany(
            "INSERT INTO rating_figures (dimension, key, month, metric, value)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (dimension, key, month, metric)"
            " DO UPDATE SET value = value + excluded.value",
            [(*key, value) for key, value in change.items()],
        )
        self.db.execute("DELETE FROM rating_figures WHERE value = 0")

    def add_case_figures(self, change: Mapping[CaseFigureKey, int]) -> None:
        """Add a case's change to the kept casework figures; a count back at 0 is dropped."""
        if not change:
            return
        self.db.conn.executemany(
            "INSERT INTO case_figures (dimension, key, day, metric, value)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (dimension, key, day, metric)"
            " DO UPDATE SET value = value + excluded.value",
            [(*key, value) for key, value in change.items()],
        )
        self.db.conn.executemany(
            "DELETE FROM case_figures WHERE dimension = ? AND key = ? AND day = ? AND metric = ?"
            " AND value = 0",
            list(change),
        )

    def clear_case_figures(self) -> None:
        """Forget every kept casework figure (before they are counted afresh)."""
        self.db.execute("DELETE FROM case_figures")

    def case_figures(self) -> dict[CaseFigureKey, int]:
        """Return every kept casework figure (the tests compare it with a recount)."""
        return {
            (r[0], r[1], r[2], r[3]): r[4]
            for r in self.db.execute("SELECT dimension, key, day, metric, value FROM case_figures")
        }

    def case_figure_sums(
        self, dimension: str, *, days: tuple[str, str], key: str = "", key_prefix: str = ""
    ) -> dict[str, dict[str, int]]:
        """Return the casework counts of one dimension summed over a day range: key → metric →
        count (one key, or the keys that start with a prefix: a unit's staff or items)."""
        sql = (
            "SELECT key, metric, SUM(value) FROM case_figures"
            " WHERE dimension = ? AND day BETWEEN ? AND ?"
        )
        params: list[Any] = [dimension, days[0], days[1]]
        if key:
            sql += " AND key = ?"
            params.append(key)
        elif key_prefix:
            # A range on the primary key (GLOB would not use it with a '/' in the prefix).
            sql += " AND key >= ? AND key < ?"
            params += [key_prefix, key_prefix[:-1] + chr(ord(key_prefix[-1]) + 1)]
        found: dict[str, dict[str, int]] = {}
        for row_key, metric, value in self.db.execute(sql + " GROUP BY key, metric", params):
            found.setdefault(row_key, {})[metric] = value
        return found

    def case_figure_trend(
        self, *, key: str, days: tuple[str, str], metrics: tuple[str, ...]
    ) -> dict[str, dict[str, int]]:
        """Return a unit's counts of some metrics by day: day → metric → count."""
        marks = ", ".join("?" for _ in metrics)
        rows = self.db.execute(
            "SELECT day, metric, value FROM case_figures WHERE dimension = 'unit' AND key = ?"
            f" AND day BETWEEN ? AND ? AND metric IN ({marks})",
            [key, days[0], days[1], *metrics],
        )
        found: dict[str, dict[str, int]] = {}
        for day, metric, value in rows:
            found.setdefault(day, {})[metric] = value
        return found

    def replace_case_rows(
        self,
        case_id: str,
        tasks: Iterable[Mapping[str, Any]],
        queue: Iterable[Mapping[str, Any]],
    ) -> None:
        """Replace a case's task rows and callback-queue rows with those of its new state."""
        self.db.execute("DELETE FROM rectification_tasks WHERE case_id = ?", [case_id])
        self.db.execute("DELETE FROM callback_queue WHERE case_id = ?", [case_id])
        self._insert("rectification_tasks", TASK_COLUMNS, tasks)
        queue = list(queue)
        self._insert("callback_queue", QUEUE_COLUMNS, queue)
        if not queue:
            # Nothing left to call (a callback came from elsewhere, say central's): no claim either.
            self.db.execute("DELETE FROM callback_claims WHERE case_id = ?", [case_id])

    def _insert(
        self, table: str, columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]
    ) -> None:
        marks = ", ".join("?" for _ in columns)
        self.db.conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            [tuple(row[c] for c in columns) for row in rows],
        )

    def clear(self) -> None:
        """Forget every kept figure and row (before they are counted afresh)."""
        for table in ("rating_figures", "rectification_tasks", "callback_queue"):
            self.db.execute(f"DELETE FROM {table}")

    def case_states_json(self) -> Iterable[str]:
        """Yield every case's projected state (JSON), for counting the figures afresh."""
        # Its own cursor: the caller writes other tables meanwhile, on the same connection.
        cursor = self.db.conn.execute("SELECT state_json FROM cases ORDER BY case_id")
        while rows := cursor.fetchmany(500):
            for row in rows:
                yield row[0]

    # Reads

    def figures(self) -> dict[FigureKey, int]:
        """Return every kept figure (the tests compare it with a recount)."""
        return {
            (r[0], r[1], r[2], r[3]): r[4]
            for r in self.db.execute(
                "SELECT dimension, key, month, metric, value FROM rating_figures"
            )
        }

    def figure_rows(
        self, dimension: str, *, key_prefix: str = "", key: str = "", months: tuple[str, str]
    ) -> dict[str, dict[str, int]]:
        """Return the counts of one dimension summed over a month range: key → metric → count."""
        sql = (
            "SELECT key, metric, SUM(value) FROM rating_figures"
            " WHERE dimension = ? AND month BETWEEN ? AND ?"
        )
        params: list[Any] = [dimension, months[0], months[1]]
        if key:
            sql += " AND key = ?"
            params.append(key)
        elif key_prefix:
            sql += " AND key GLOB ?"
            params.append(key_prefix + "*")
        found: dict[str, dict[str, int]] = {}
        for row_key, metric, value in self.db.execute(sql + " GROUP BY key, metric", params):
            found.setdefault(row_key, {})[metric] = value
        return found

    def open_overdue(
        self, column: str, *, unit: str, months: tuple[str, str], today: str
    ) -> dict[str, int]:
        """Return, by unit, item or staff, how many of the unit's tasks opened in the months are
        still not answered past their due day."""
        if column not in ("unit", "item_code", "staff"):
            raise ValueError(column)
        rows = self.db.execute(
            f"SELECT {column}, COUNT(*) FROM rectification_tasks WHERE unit = ?"
            " AND answered_on IS NULL AND due_on < ? AND substr(opened_on, 1, 7) BETWEEN ? AND ?"
            f" GROUP BY {column}",
            [unit, today, months[0], months[1]],
        )
        return dict(rows.fetchall())

    def tasks(self, *, unit: str, stage: str = "", limit: int = 500) -> list[dict[str, Any]]:
        """Return a unit's 差评 tasks, oldest due first, at most ``limit``."""
        sql = "SELECT * FROM rectification_tasks WHERE unit = ?"
        params: list[Any] = [unit]
        if stage:
            sql += " AND stage = ?"
            params.append(stage)
        sql += " ORDER BY stage = 'closed', due_on, opened_on, case_number LIMIT ?"
        return list(self.db.query(sql, [*params, limit]))

    def stage_counts(self, *, unit: str) -> dict[str, int]:
        """Return how many of a unit's 差评 tasks are at each stage."""
        rows = self.db.execute(
            "SELECT stage, COUNT(*) FROM rectification_tasks WHERE unit = ? GROUP BY stage", [unit]
        )
        return dict(rows.fetchall())

    def callback_queue(self, *, org_code: str, limit: int = 500) -> list[dict[str, Any]]:
        """Return what waits for a callback among a unit's cases, 差评 first, then oldest first,
        each with who has claimed the call and when."""
        return list(
            self.db.query(
                "SELECT q.*, c.username AS claimed_by, c.claimed_at FROM callback_queue q"
                " LEFT JOIN callback_claims c ON c.case_id = q.case_id WHERE q.org_code = ?"
                " ORDER BY q.purpose = 'sample', q.since, q.case_number LIMIT ?",
                [org_code, limit],
            )
        )

    def case_queue(self, case_id: str) -> list[dict[str, Any]]:
        """Return what of one case waits for a callback."""
        return list(
            self.db.query(
                "SELECT * FROM callback_queue WHERE case_id = ? ORDER BY purpose", [case_id]
            )
        )

    def queue_entry(self, case_id: str, rating_id: str) -> dict[str, Any] | None:
        """Return one row of the callback queue."""
        rows = list(
            self.db.query(
                "SELECT * FROM callback_queue WHERE case_id = ? AND rating_id = ?",
                [case_id, rating_id],
            )
        )
        return rows[0] if rows else None

    # Claims of a call (who is calling the applicant now)

    def claim(self, case_id: str) -> dict[str, Any] | None:
        """Return the claim on a case's callback, if any (lapsed or not)."""
        rows = list(self.db.query("SELECT * FROM callback_claims WHERE case_id = ?", [case_id]))
        return rows[0] if rows else None

    def set_claim(self, case_id: str, username: str, at: str) -> None:
        """Record that a user is calling a case now (replacing a lapsed claim)."""
        self.db.execute(
            "INSERT INTO callback_claims (case_id, username, claimed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (case_id) DO UPDATE SET username = excluded.username,"
            " claimed_at = excluded.claimed_at",
            [case_id, username, at],
        )

    def release_claim(self, case_id: str) -> None:
        """Forget the claim on a case's callback."""
        self.db.execute("DELETE FROM callback_claims WHERE case_id = ?", [case_id])
