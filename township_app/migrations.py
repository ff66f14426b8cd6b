"""Schema of the township store, as named, append-only migration steps.

Never edit a released step: add a new one. Each step runs in a transaction with its record, so a
failed step leaves the database as it was.
"""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("bianmin_township")


@migrations()
def m001_initial(db: Database) -> None:
    """Create the device, org tree, catalogue, users, case log, projection, blobs and outbox."""
    db.executescript(
        """
        CREATE TABLE device (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            device_id TEXT NOT NULL,
            device_code TEXT NOT NULL,
            org_code TEXT NOT NULL,
            writer_seq INTEGER NOT NULL DEFAULT 0,
            last_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE case_counters (
            day TEXT PRIMARY KEY,
            last_sequence INTEGER NOT NULL
        );
        CREATE TABLE org_units (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            level TEXT NOT NULL,
            parent_code TEXT,
            demo INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX org_units_parent ON org_units (parent_code);
        CREATE TABLE catalogue_versions (
            version TEXT PRIMARY KEY,
            installed_at TEXT NOT NULL,
            published_at TEXT,
            demo INTEGER NOT NULL DEFAULT 0,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE items (
            code TEXT PRIMARY KEY,
            catalogue_version TEXT NOT NULL,
            name TEXT NOT NULL,
            department TEXT NOT NULL,
            kind TEXT NOT NULL,
            village_available INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL,
            org_code TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            username TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            case_id TEXT NOT NULL,
            writer TEXT NOT NULL,
            writer_seq INTEGER NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            payload TEXT NOT NULL,
            UNIQUE (writer, writer_seq)
        );
        CREATE INDEX events_case ON events (case_id, seq);
        -- The case log is append-only: the database itself refuses to change or delete an event.
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the case log is append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the case log is append-only'); END;
        CREATE TABLE cases (
            case_id TEXT PRIMARY KEY,
            case_number TEXT NOT NULL UNIQUE,
            item_code TEXT NOT NULL,
            item_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            applicant_name TEXT NOT NULL,
            id_reversed TEXT NOT NULL,
            village_code TEXT NOT NULL,
            org_code TEXT NOT NULL,
            green_channel INTEGER NOT NULL,
            registered_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            state_json TEXT NOT NULL
        );
        CREATE INDEX cases_registered ON cases (registered_at);
        CREATE INDEX cases_state ON cases (state, registered_at);
        CREATE INDEX cases_item ON cases (item_code, registered_at);
        CREATE INDEX cases_village ON cases (village_code, registered_at);
        CREATE INDEX cases_id_reversed ON cases (id_reversed);
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            case_id TEXT NOT NULL,
            event_id TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'waiting'
        );
        CREATE INDEX outbox_status ON outbox (status, id);
        CREATE TABLE calendar_years (
            year INTEGER PRIMARY KEY,
            version INTEGER NOT NULL,
            body TEXT NOT NULL,
            installed_at TEXT NOT NULL
        );
        """
    )
