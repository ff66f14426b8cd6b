"""Schema migrations of the central server (Alembic), run by `bianmin-central init` and at start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

LOCATION = str(Path(__file__).parent / "migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", LOCATION)
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (each step in its own transaction)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_current(engine: Engine) -> bool:
    """Tell whether the database already has the newest schema."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def autogenerate(engine: Engine, message: str) -> None:
    """Write a new revision from the difference between the schema and the database (developers)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
