"""Every SQL statement of the central server (SQLAlchemy Core, SQLite or PostgreSQL): the schema,
the engine and the stores of devices, the case log, reviews, the public pages and USB imports."""
