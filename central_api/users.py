"""Central users: county and city reviewers, supervisors and admins, with argon2 password hashes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from central_api.review_store import ReviewStore
from central_api.roles import ROLES
from central_api.store import CentralStore
from sync.errors import N_, Conflict, InvalidInput, NotAllowed
from sync.events import CHINA_TZ, format_time, parse_time

hasher = PasswordHasher()
# Verifying against this keeps an unknown user's failed log-in as slow as a known one's.
_DUMMY_HASH = hasher.hash("bianmin-central-timing")
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
    by: str = "system",
    remote_addr: str = "",
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
                "password_hash": hasher.hash(password),
                "failed_logins": 0,
                "active": 1,
                "created_at": format_time(now),
            },
        )
        ReviewStore(store).audit(
            c, format_time(now), by, "create_user", f"{username} ({role}, {org_code})", remote_addr
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_login(
    store: CentralStore,
    username: str,
    password: str,
    *,
    now: datetime,
    attempts: int,
    lock_minutes: int,
    remote_addr: str = "",
) -> dict[str, Any]:
    """Return the user if the password is right; count failures, lock after too many, and record
    every log-in and failure in the audit trail."""
    reviews = ReviewStore(store)
    username = username.strip().lower()[:32]
    at = format_time(now)
    refusal = NotAllowed(N_("用户名或密码不正确。"))
    with store.transaction() as c:
        user = store.user_by_username(c, username)
        if user is None or not user["active"]:
            _verify(_DUMMY_HASH, password)
            reviews.audit(c, at, username or "-", "login_failed", "unknown user", remote_addr)
            raise_after = refusal
        else:
            raise_after = _check_known(reviews, c, user, password, now, attempts, lock_minutes)
            reviews.audit(
                c,
                at,
                username,
                "login" if raise_after is None else "login_failed",
                "" if raise_after is None else raise_after.template[:40],
                remote_addr,
            )
    # Raised after the transaction so that the failure count and the audit entry are kept.
    if raise_after is not None:
        raise raise_after
    return user


def _check_known(
    reviews: ReviewStore,
    c: Any,
    user: dict[str, Any],
    password: str,
    now: datetime,
    attempts: int,
    lock_minutes: int,
) -> NotAllowed | None:
    if user["locked_until"] and parse_time(user["locked_until"]) > now:
        until = parse_time(user["locked_until"]).astimezone(CHINA_TZ).strftime("%H:%M")
        return NotAllowed(
            N_("连续登录失败次数过多，账号已锁定至 %(until)s，请稍后再试或联系管理员解锁。"),
            until=until,
        )
    # A lock that ran out starts the count again, so one slip does not lock at once.
    failures = 0 if user["locked_until"] else int(user["failed_logins"])
    if not _verify(user["password_hash"], password):
        failures += 1
        locked = (
            format_time(now + timedelta(minutes=lock_minutes)) if failures >= attempts else None
        )
        reviews.set_login_failures(c, user["id"], failures, locked)
        if locked:
            return NotAllowed(
                N_("连续 %(n)s 次密码错误，账号已锁定 %(minutes)s 分钟。"),
                n=failures,
                minutes=lock_minutes,
            )
        return NotAllowed(N_("用户名或密码不正确。"))
    if user["failed_logins"] or user["locked_until"]:
        reviews.set_login_failures(c, user["id"], 0, None)
    return None


def unlock_user(
    store: CentralStore, username: str, *, by: str, now: datetime, remote_addr: str = ""
) -> None:
    """Clear a user's failed log-ins and lock (an admin's action, recorded in the audit trail)."""
    reviews = ReviewStore(store)
    with store.transaction() as c:
        user = store.user_by_username(c, username)
        if user is None:
            raise InvalidInput(N_("没有用户 %(name)s。"), field="username", name=username)
        reviews.set_login_failures(c, user["id"], 0, None)
        reviews.audit(c, format_time(now), by, "unlock_user", username, remote_addr)
