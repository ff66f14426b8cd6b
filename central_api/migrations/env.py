"""Alembic environment: run migrations on the connection handed over by central_api.migrate."""

from alembic import context

from central_api.stores.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
