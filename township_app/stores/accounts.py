"""The SQL of staff accounts, log-ins and the audit trail (a part of the township store)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


class AccountQueries:
    """Users, failed log-ins and the audit trail."""

    db: Database

    # Users, log-ins and the audit trail

    def add_user(
        self,
        *,
        username: str,
        display_name: str,
        role: str,
        org_code: str,
        password_hash: str,
        at: str,
    ) -> int:
        """Create a user and return its id."""
        cursor = self.db.execute(
            "INSERT INTO users (username, display_name, role, org_code, password_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [username, display_name, role, org_code, password_hash, at],
        )
        return cursor.lastrowid

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        """Return a user by log-in name."""
        rows = list(self.db.query("SELECT * FROM users WHERE username = ?", [username]))
        return rows[0] if rows else None

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        """Return a user by id."""
        rows = list(self.db.query("SELECT * FROM users WHERE id = ?", [user_id]))
        return rows[0] if rows else None

    def users(self) -> list[dict[str, Any]]:
        """Return all users."""
        return list(self.db.query("SELECT * FROM users ORDER BY role, username"))

    def record_login_failure(self, user_id: int, locked_until: str | None) -> int:
        """Count a failed log-in (locking the account when told) and return the new count."""
        self.db.execute(
            "UPDATE users SET failed_logins = failed_logins + 1,"
            " locked_until = COALESCE(?, locked_until) WHERE id = ?",
            [locked_until, user_id],
        )
        return self.db.execute(
            "SELECT failed_logins FROM users WHERE id = ?", [user_id]
        ).fetchone()[0]

    def clear_login_failures(self, user_id: int) -> None:
        """Reset the failed log-in count and any lock."""
        self.db.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", [user_id]
        )

    def set_password(self, user_id: int, password_hash: str) -> None:
        """Store a new password hash."""
        self.db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])

    def set_user_active(self, user_id: int, active: bool) -> None:
        """Enable or disable a user."""
        self.db.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), user_id])

    def audit(self, at: str, username: str, action: str, detail: str = "") -> None:
        """Append a log-in or admin action to the audit trail (never personal data)."""
        self.db.execute(
            "INSERT INTO audit_log (at, username, action, detail) VALUES (?, ?, ?, ?)",
            [at, username, action, detail],
        )

    def audit_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        """Return the newest audit entries."""
        return list(self.db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]))
