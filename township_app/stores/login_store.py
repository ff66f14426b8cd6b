"""Every SQL statement of the township's log-in guard: the counters of failed log-ins, each
account's last log-in address, and the sessions alive.

It works on the township store's connection and inside its ``write()`` transactions.
"""

from __future__ import annotations

from staff_pages.lockout import Guard, counter_keys, guard_of, stored
from township_app.stores.store import Store


class LoginStore:
    """Failed log-in counters and sessions, on the township store's connection."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    def guard(self, address: str, username: str, last_login_addr: str | None) -> Guard:
        """Return the counters of an attempt to log in as ``username`` from ``address``."""
        rows = {}
        for kind, (addr, name) in counter_keys(address, username).items():
            found = self.db.execute(
                "SELECT failures, locked_until FROM login_guard"
                " WHERE kind = ? AND address = ? AND username = ?",
                [kind, addr, name],
            ).fetchone()
            if found:
                rows[kind] = (found[0], found[1])
        return guard_of(rows, trusted=bool(address) and address == last_login_addr)

    def save_guard(self, address: str, username: str, guard: Guard) -> None:
        """Store the counters of an attempt (inside a write transaction)."""
        counters = {"here": guard.here, "everywhere": guard.everywhere, "address": guard.address}
        for kind, (addr, name) in counter_keys(address, username).items():
            failures, locked_until = stored(counters[kind])
            self.db.execute(
                "INSERT INTO login_guard (kind, address, username, failures, locked_until)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, address, username)"
                " DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
                [kind, addr, name, failures, locked_until],
            )

    def forget_failures(self, address: str, username: str) -> None:
        """Drop the counters a successful log-in clears (inside a write transaction)."""
        for kind, (addr, name) in counter_keys(address, username).items():
            self.db.execute(
                "DELETE FROM login_guard WHERE kind = ? AND address = ? AND username = ?",
                [kind, addr, name],
            )

    def unlock(self, username: str) -> None:
        """Drop every counter and lock of a name, and the address locks its failures took part in."""
        self.db.execute(
            "DELETE FROM login_guard WHERE kind = 'address' AND address IN"
            " (SELECT address FROM login_guard WHERE kind = 'here' AND username = ?)",
            [username],
        )
        self.db.execute("DELETE FROM login_guard WHERE username = ?", [username])

    def show_on_account(self, user_id: int, failures: int, locked_until: str | None) -> None:
        """Show an account's failures in a row and its newest lock on the admin's page."""
        self.db.execute(
            "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
            [failures, locked_until, user_id],
        )

    def record_login(self, user_id: int, address: str) -> None:
        """Remember the address of a user's successful log-in."""
        self.db.execute("UPDATE users SET last_login_addr = ? WHERE id = ?", [address, user_id])

    def add_session(self, session_id: str, user_id: int, at: str) -> None:
        """Record a session begun at log-in."""
        self.db.execute(
            "INSERT INTO staff_sessions (session_id, user_id, started_at) VALUES (?, ?, ?)",
            [session_id, user_id, at],
        )

    def session_alive(self, session_id: str, user_id: int) -> bool:
        """Tell whether a session of a user was begun here and not ended."""
        return bool(
            self.db.execute(
                "SELECT 1 FROM staff_sessions WHERE session_id = ? AND user_id = ?",
                [session_id, user_id],
            ).fetchone()
        )

    def end_session(self, session_id: str) -> None:
        """End one session (log-out)."""
        self.db.execute("DELETE FROM staff_sessions WHERE session_id = ?", [session_id])

    def end_other_sessions(self, user_id: int, keep: str) -> None:
        """End every session of a user but ``keep`` (a password change)."""
        self.db.execute(
            "DELETE FROM staff_sessions WHERE user_id = ? AND session_id != ?", [user_id, keep]
        )

    def forget_sessions_before(self, at: str) -> None:
        """Drop sessions begun before ``at`` (past the longest a session may last)."""
        self.db.execute("DELETE FROM staff_sessions WHERE started_at < ?", [at])

    def newest_lock(self, username: str, now: str) -> str | None:
        """Return the end of the newest lock of a name still running at ``now``, if any."""
        return self.db.execute(
            "SELECT MAX(locked_until) FROM login_guard"
            " WHERE username = ? AND kind != 'address' AND locked_until > ?",
            [username, now],
        ).fetchone()[0]
