"""Staff members' hall windows (窗口号) and departments (部门): checked, stored, audited."""

from __future__ import annotations

import re
from datetime import datetime

from sync.errors import N_, InvalidInput
from sync.events import format_time
from township_app.stores.store import Store

_WINDOW = re.compile(r"^[0-9A-Za-z-]{1,8}$")
DEPARTMENT_LENGTH = 40


def check_window(window_number: str, department: str) -> tuple[str, str]:
    """Return the window number and department cleaned, or refuse them."""
    window_number = window_number.strip().upper()
    department = " ".join(department.split())
    if window_number and not _WINDOW.match(window_number):
        raise InvalidInput(
            N_("窗口号应为 1 至 8 位数字或字母（例如 3 或 A2），不填表示不在窗口。"),
            field="window_number",
        )
    if len(department) > DEPARTMENT_LENGTH:
        raise InvalidInput(
            N_("部门名称不超过 %(n)s 个字。"), field="department", n=DEPARTMENT_LENGTH
        )
    return window_number, department


def set_window(
    store: Store, user_id: int, window_number: str, department: str, admin: str, now: datetime
) -> None:
    """Set the window and department a staff member serves at (admin)."""
    window_number, department = check_window(window_number, department)
    user = store.user_by_id(user_id)
    if user is None:
        raise InvalidInput(N_("账号不存在。"), field="user")
    with store.write():
        store.set_user_window(user_id, window_number, department)
        store.audit(
            format_time(now),
            admin,
            "set_window",
            f"{user['username']}: {window_number or '-'} {department}".rstrip(),
        )
