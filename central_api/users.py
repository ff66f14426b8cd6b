"""Central users: county and city reviewers, supervisors and admins, with argon2 password hashes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from central_api.roles import DEPARTMENT_REVIEWER, ROLES
from central_api.stores import login_store
from central_api.stores.review_store import ReviewStore
from central_api.stores.store import CentralStore
from staff_pages import lockout
from staff_pages.lockout import LockoutRules
from staff_pages.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from sync.errors import N_, Conflict, InvalidInput
from sync.events import format_time

_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")

# The demo's users (printed by `bianmin-central init --demo`; never use them in production).
DEMO_USERS = (
    ("xianshen", "莱山区审批员", "county_reviewer", "370613", "demo-county-2026"),
    ("shishen", "烟台市审批员", "city_reviewer", "370600", "demo-city-2026"),
    ("jiancha", "电子监察员", "supervisor", "370600", "demo-supervisor-2026"),
    ("admin", "系统管理员", "admin", "370600", "demo-admin-2026"),
    ("xianfuze", "莱山区审批负责人", "head", "370613", "demo-head-2026"),
)
# The demo's joint-review (联审) reviewers of 莱山区: one per department of the rural housing item.
DEMO_DEPARTMENT_USERS = (
    ("ziyuan", "区自然资源局审查员", "370613", "自然资源", "demo-ziyuan-2026"),
    ("nongye", "区农业农村局审查员", "370613", "农业农村", "demo-nongye-2026"),
    ("zhujian", "区住建局审查员", "370613", "住建", "demo-zhujian-2026"),
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
    by: str = "system",
    remote_addr: str = "",
    department: str = "",
) -> None:
    """Create a central user with a hashed password (a department reviewer with its department)."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            "用户名应为 2 至 32 位小写字母、数字或 _.-，以字母开头。", field="username"
        )
    if role not in ROLES:
        raise InvalidInput(f"角色应为 {'、'.join(ROLES)} 之一。", field="role")
    department = department.strip()
    if role == DEPARTMENT_REVIEWER and not 0 < len(department) <= 32:
        raise InvalidInput("联审部门审查人员须填写所属部门（不超过 32 个字）。", field="department")
    if role != DEPARTMENT_REVIEWER:
        department = ""
    check_password_rules(password)
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
                "password_hash": hash_password(password),
                "failed_logins": 0,
                "active": 1,
                "created_at": format_time(now),
                "department": department,
            },
        )
        ReviewStore(store).audit(
            c, format_time(now), by, "create_user", f"{username} ({role}, {org_code})", remote_addr
        )


def check_login(
    store: CentralStore,
    username: str,
    password: str,
    *,
    now: datetime,
    rules: LockoutRules,
    remote_addr: str = "",
    session_id: str = "",
    session_hours: int = 24,
) -> dict[str, Any]:
    """Return the user if the password is right, beginning the session ``session_id``; count
    failures per name and address, lock after too many (staff_pages.lockout says which and for how
    long), and record every log-in and failure in the audit trail."""
    reviews = ReviewStore(store)
    name = username.strip().lower()[:32]
    at = format_time(now)
    with store.transaction() as c:
        found = store.user_by_username(c, name)
        user = found if found is not None and found["active"] else None
        guard = login_store.guard(c, remote_addr, name, user["last_login_addr"] if user else None)
        attempt = lockout.decide(
            guard, rules, now, lambda: verify_password(user and user["password_hash"], password)
        )
        if attempt.refusal is None and user is not None:
            login_store.forget_failures(c, remote_addr, name)
            login_store.record_login(c, user["id"], remote_addr)
            login_store.forget_sessions_before(c, format_time(now - timedelta(hours=session_hours)))
            login_store.add_session(c, session_id, user["id"], at)
            login_store.show_on_account(c, user["id"], 0, login_store.newest_lock(c, name, at))
            if needs_rehash(user["password_hash"]):
                login_store.set_password(c, user["id"], hash_password(password))
            reviews.audit(c, at, name, "login", "", remote_addr)
        else:
            if attempt.counted:
                login_store.save_guard(c, remote_addr, name, attempt.guard)
            if user is not None:
                failures = attempt.guard.everywhere.failures
                locked = login_store.newest_lock(c, name, at)
                login_store.show_on_account(c, user["id"], failures, locked)
            detail = "locked" if attempt.locked else "unknown user" if user is None else ""
            reviews.audit(c, at, name or "-", "login_failed", detail, remote_addr)
    # Raised after the transaction so that the failure count and the audit entry are kept.
    if attempt.refusal is not None:
        raise attempt.refusal
    assert user is not None
    return user


def log_out(
    store: CentralStore, user: dict[str, Any], session_id: str, *, now: datetime, remote_addr: str
) -> None:
    """End a session: a copy of its cookie is worth nothing after log-out."""
    with store.transaction() as c:
        login_store.end_session(c, session_id)
        ReviewStore(store).audit(c, format_time(now), user["username"], "logout", "", remote_addr)


def session_alive(store: CentralStore, session_id: str, user_id: int) -> bool:
    """Tell whether a session of a user was begun at log-in and not ended."""
    with store.reading() as c:
        return login_store.session_alive(c, session_id, user_id)


def unlock_user(
    store: CentralStore, username: str, *, by: str, now: datetime, remote_addr: str = ""
) -> None:
    """Clear a user's failed log-ins and locks, and the locks of the addresses that failed as them
    (an admin's action, recorded in the audit trail)."""
    reviews = ReviewStore(store)
    with store.transaction() as c:
        user = store.user_by_username(c, username)
        if user is None:
            raise InvalidInput(N_("没有用户 %(name)s。"), field="username", name=username)
        login_store.unlock(c, username)
        reviews.set_login_failures(c, user["id"], 0, None)
        reviews.audit(c, format_time(now), by, "unlock_user", username, remote_addr)
