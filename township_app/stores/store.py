"""The township app's SQLite store (sqlite-utils): the connection, its transactions and its parts.

Every SQL statement of the app lives in the store modules: this one and ``store_cases``,
``store_device``, ``store_published``, ``store_accounts`` (mixed into ``Store``) and the sub-stores
``sync_store``, ``relay_store``, ``results_store``, ``figures_store`` and ``backup_store``
(on the store, built once).

Durability first: WAL with synchronous=FULL (WAL with NORMAL may lose the last commits on power loss),
``BEGIN IMMEDIATE`` for writes so two writers never deadlock half-way, and the case event, its
projection and its outbox row committed in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from township_app.stores.accounts import AccountQueries
from township_app.stores.cases import PAGE_SIZE, CaseFilter, CaseQueries
from township_app.stores.device import DeviceQueries
from township_app.stores.migrations import migrations
from township_app.stores.published import PublishedQueries
from township_app.stores.staff_windows import StaffWindowQueries

if TYPE_CHECKING:
    from township_app.stores.agents_store import AgentStore
    from township_app.stores.backup_store import RestoreStore
    from township_app.stores.fee_store import FeeStore
    from township_app.stores.figures_store import FiguresStore
    from township_app.stores.relay_store import RelayStore
    from township_app.stores.results_store import ResultsStore
    from township_app.stores.sync_store import SyncStore


class StoreDamaged(Exception):
    """The database failed its integrity check at start: the app opens read-only."""


def connect(path: Path | str, *, read_only: bool = False) -> Database:
    """Open the township database with the durability settings every connection needs."""
    if read_only:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=10, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    return Database(conn, execute_plugins=False)


class Store(CaseQueries, DeviceQueries, PublishedQueries, AccountQueries, StaffWindowQueries):
    """The township database: device, org tree, catalogue, users, case log and outbox."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False) -> Store:
        """Open the database at ``path``; start-up and the CLI migrate it (``upgrade.open_migrated``)."""
        return cls(connect(path, read_only=read_only))

    # The sub-stores share this connection; each is built once, on first use. They import this
    # module, hence the imports inside.

    @cached_property
    def sync(self) -> SyncStore:
        """Return the sync bookkeeping (bundles, blobs, feed cursor, rounds) of this PC."""
        from township_app.stores.sync_store import SyncStore

        return SyncStore(self)

    @cached_property
    def relay(self) -> RelayStore:
        """Return the relay bookkeeping of the village PCs this township PC carries."""
        from township_app.stores.relay_store import RelayStore

        return RelayStore(self)

    @cached_property
    def results(self) -> ResultsStore:
        """Return the reads of the results and petitions pages."""
        from township_app.stores.results_store import ResultsStore

        return ResultsStore(self)

    @cached_property
    def figures(self) -> FiguresStore:
        """Return the kept 好差评 figures, 差评 tasks and callback queue."""
        from township_app.stores.figures_store import FiguresStore

        return FiguresStore(self)

    @cached_property
    def agents(self) -> AgentStore:
        """Return the enterprise agents' registry and their entrustments."""
        from township_app.stores.agents_store import AgentStore

        return AgentStore(self)

    @cached_property
    def restore(self) -> RestoreStore:
        """Return the restore check's bookkeeping."""
        from township_app.stores.backup_store import RestoreStore

        return RestoreStore(self)

    @cached_property
    def fees(self) -> FeeStore:
        """Return the reads of the daily fee list (收费日报)."""
        from township_app.stores.fee_store import FeeStore

        return FeeStore(self)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[Store]:
        """Run a block as one write transaction taken with BEGIN IMMEDIATE."""
        conn = self.db.conn
        if conn.in_transaction:
            # Nested: the outer transaction already holds the write lock.
            yield self
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def quick_check(self) -> str:
        """Run SQLite's quick integrity check and return its answer ("ok" when sound)."""
        return self.db.execute("PRAGMA quick_check").fetchone()[0]

    def pending_migrations(self) -> list[str]:
        """Return the names of migrations not yet applied."""
        return [m.name for m in migrations.pending(self.db)]


__all__ = ["PAGE_SIZE", "CaseFilter", "Store", "StoreDamaged", "connect"]
