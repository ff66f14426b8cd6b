"""The SQL of staff members' hall windows (窗口号) and departments (部门): a part of the store."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


class StaffWindowQueries:
    """Which window and department each staff account serves at."""

    db: Database

    def set_user_window(self, user_id: int, window_number: str, department: str) -> None:
        """Store a user's window number and department."""
        self.db.execute(
            "UPDATE users SET window_number = ?, department = ? WHERE id = ?",
            [window_number, department, user_id],
        )

    def window_of(self, username: str) -> str:
        """Return the window number a user serves at ('' when none is set or no such user)."""
        row = self.db.execute(
            "SELECT window_number FROM users WHERE username = ?", [username]
        ).fetchone()
        return row[0] if row else ""

    def staff_windows(self) -> list[dict[str, Any]]:
        """Return every account with its window and department, by window then name."""
        return list(
            self.db.query(
                "SELECT id, username, display_name, role, org_code, active, window_number,"
                " department FROM users ORDER BY window_number = '', window_number, username"
            )
        )
