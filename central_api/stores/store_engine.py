"""How the central database is opened: SQLite's durable settings, deferred reads beside the one
writer, and the thread that checkpoints SQLite's write-ahead log. PostgreSQL needs none of it."""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)

READING = "bianmin_reading"  # execution option of ``CentralStore.reading`` connections


def make_engine(url: str) -> Engine:
    """Create the engine for a database URL, with durable settings on SQLite."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Take over transaction control so that writes can begin IMMEDIATE.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL may lose the last commits on power loss: a receipt must not outlive
            # the bundle it acknowledges.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # A batch's pages stay in memory until its commit instead of spilling on the way.
            cursor.execute("PRAGMA cache_size=-65536")
            # The WAL is copied into the database file by the store's checkpoint thread, not by
            # whichever request happens to commit past 1,000 pages (``Checkpointer``).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Connection) -> None:
            # A reader's transaction stays deferred: in WAL mode it reads a snapshot beside the
            # writer. Taken IMMEDIATE, every page view and every device request's key lookup would
            # wait behind a batch being ingested, and hold up the next one.
            if connection.get_execution_options().get(READING):
                connection.exec_driver_sql("BEGIN")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Checkpointer:
    """Copies SQLite's write-ahead log into the database file on a thread of its own.

    SQLite does it by default inside the commit that takes the log past 1,000 pages: a request
    that commits a large batch then also writes every page of it a second time and waits for that
    flush. Here a commit only wakes this thread, whose passive checkpoint blocks neither readers nor
    the next writer (and leaves the interpreter lock while it copies).
    """

    EVERY_SECONDS = 5.0  # also without a wake-up: a stray reader may have held the log back
    # At most this often, however often commits wake it: each checkpoint flushes the database
    # file, and one per commit (a device sending one bundle at a time) cost more than the commits.
    GAP_SECONDS = 0.5

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Ask for a checkpoint soon (after a commit)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.EVERY_SECONDS)
            self._wake.clear()
            if self._stopping.is_set():
                return
            self.checkpoint("PASSIVE")
            self._stopping.wait(self.GAP_SECONDS)

    def checkpoint(self, mode: str) -> None:
        try:
            with self.engine.connect() as connection:
                # On the driver's connection: SQLAlchemy would begin a transaction first, and a
                # checkpoint cannot run inside one.
                connection.connection.driver_connection.execute(f"PRAGMA wal_checkpoint({mode})")
        except (OperationalError, sqlite3.OperationalError) as error:
            # Busy or locked by a connection that is checkpointing or reading right now: the log
            # stays valid and the next wake-up tries again.
            log.debug("WAL checkpoint (%s) put off: %s", mode, error)

    def stop(self) -> None:
        """Stop the thread and fold the whole log into the database file."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self.checkpoint("TRUNCATE")
