"""Central users: county and city reviewers, supervisors and admins, with argon2 password hashes."""

from __future__ import annotations

import re
from datetime import datetime

from argon2 import PasswordHasher

from central_api.store import CentralStore
from sync.errors import Conflict, InvalidInput
from sync.events import format_time

ROLES = ("county_reviewer", "city_reviewer", "supervisor", "admin")
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")

# The demo's users (printed by `bianmin-central init --demo`; never use them in production).
DEMO_USERS = (
    ("xianshen", "莱山区审批员", "county_reviewer", "370613", "demo-county-2026"),
    ("shishen", "烟台市审批员", "city_reviewer", "370600", "demo-city-2026"),
    ("jiancha", "电子监察员", "supervisor", "370600", "demo-supervisor-2026"),
    ("admin", "系统管理员", "admin", "370600", "demo-admin-2026"),
)


def create_user(
    store: CentralStore,
    *,
    username: str,
    display_name: str,
    role: str,
    org_code: str,
    password: str,
    now: datetime,
) -> None:
    """Create a central user with a hashed password."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            "用户名应为 2 至 32 位小写字母、数字或 _.-，以字母开头。", field="username"
        )
    if role not in ROLES:
        raise InvalidInput(f"角色应为 {'、'.join(ROLES)} 之一。", field="role")
    if len(password) < 10:
        raise InvalidInput("密码至少 10 位。", field="password")
    with store.transaction() as c:
        if store.org_unit(c, org_code) is None:
            raise InvalidInput(f"组织机构中没有 {org_code}。", field="org_code")
        if store.user_by_username(c, username):
            raise Conflict(f"用户 {username} 已存在。")
        store.add_user(
            c,
            {
                "username": username,
                "display_name": display_name or username,
                "role": role,
                "org_code": org_code,
                "password_hash": PasswordHasher().hash(password),
                "failed_logins": 0,
                "active": 1,
                "created_at": format_time(now),
            },
        )
