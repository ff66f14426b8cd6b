"""The Alembic migrations build exactly the schema that central_api/stores/schema.py declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from central_api import migrate
from central_api.stores.schema import metadata
from central_api.stores.store import CentralStore


def test_migrated_database_matches_the_declared_schema(central_store: CentralStore) -> None:
    with central_store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrating_twice_changes_nothing(central_store: CentralStore) -> None:
    assert migrate.is_current(central_store.engine)
    before = central_store.counts()
    migrate.upgrade(central_store.engine)
    assert central_store.counts() == before
