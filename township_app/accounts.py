"""Staff accounts: argon2 password hashes, log-in checks with lockout, password changes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sync.errors import N_, InvalidInput, NotAllowed
from sync.events import format_time, parse_time
from township_app import roles
from township_app.store import Store

MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[a-z0-9_.-]{2,32}$")

hasher = PasswordHasher()

# Verifying against this keeps the time of an unknown user's log-in close to a known one's.
_DUMMY_HASH = hasher.hash("bianmin-timing-equaliser")


def hash_password(password: str) -> str:
    """Return the argon2 hash of a password."""
    return hasher.hash(password)


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too weak to protect residents' data."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(N_("密码至少需要 %(n)s 位。"), field="password", n=MIN_PASSWORD)
    if password.isdigit() or password.isalpha():
        raise InvalidInput(N_("密码须同时包含字母和数字。"), field="password")


def create_user(
    store: Store,
    *,
    username: str,
    display_name: str,
    role: str,
    org_code: str,
    password: str,
    now: datetime,
    check_rules: bool = True,
) -> int:
    """Create a staff account after checking its fields."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InvalidInput(N_("用户名应为2至32位小写字母、数字或 . _ -。"), field="username")
    if role not in roles.ROLES:
        raise InvalidInput(N_("岗位不正确。"), field="role")
    if not display_name.strip():
        raise InvalidInput(N_("请填写姓名。"), field="display_name")
    unit = store.org_unit(org_code)
    if unit is None:
        raise InvalidInput(N_("所属单位不存在。"), field="org_code")
    if role == roles.AGENT and unit["level"] != "village":
        raise InvalidInput(N_("村代办员必须属于一个村（社区）。"), field="org_code")
    if check_rules:
        check_password_rules(password)
    if store.user_by_username(username):
        raise InvalidInput(N_("用户名 %(name)s 已被使用。"), field="username", name=username)
    with store.write():
        user_id = store.add_user(
            username=username,
            display_name=display_name.strip(),
            role=role,
            org_code=org_code,
            password_hash=hash_password(password),
            at=format_time(now),
        )
        store.audit(format_time(now), "system", "create_user", f"{username} ({role})")
    return user_id


def check_login(
    store: Store,
    username: str,
    password: str,
    *,
    now: datetime,
    attempts: int,
    lock_minutes: int,
    read_only: bool = False,
) -> dict[str, Any]:
    """Return the user if the password is right; count failures and lock after too many.

    On a read-only (damaged) database nothing is recorded, so staff can still log in and read.
    """
    refusal = NotAllowed(N_("用户名或密码不正确。"))
    user = store.user_by_username(username.strip().lower())
    if user is None or not user["active"]:
        _verify(_DUMMY_HASH, password)
        if not read_only:
            store.audit(format_time(now), username[:32] or "-", "login_failed", "unknown user")
        raise refusal
    locked_now = bool(user["locked_until"]) and parse_time(user["locked_until"]) > now
    if locked_now:
        if not read_only:
            store.audit(format_time(now), user["username"], "login_refused", "locked")
        raise NotAllowed(
            N_("连续登录失败次数过多，账号已锁定至 %(until)s，请稍后再试或联系管理员解锁。"),
            until=_china_clock(user["locked_until"]),
        )
    if user["locked_until"] and not locked_now and not read_only:
        # The lock ran out: the count starts again, so one slip does not lock at once.
        store.clear_login_failures(user["id"])
        user = {**user, "failed_logins": 0, "locked_until": None}
    if not _verify(user["password_hash"], password):
        if read_only:
            raise refusal
        with store.write():
            failures = user["failed_logins"] + 1
            locked = (
                format_time(now + timedelta(minutes=lock_minutes)) if failures >= attempts else None
            )
            store.record_login_failure(user["id"], locked)
            store.audit(format_time(now), user["username"], "login_failed", f"attempt {failures}")
        if locked:
            raise NotAllowed(
                N_("连续登录失败次数过多，账号已锁定至 %(until)s，请稍后再试或联系管理员解锁。"),
                until=_china_clock(locked),
            )
        left = attempts - failures
        raise NotAllowed(N_("用户名或密码不正确。再失败 %(left)s 次账号将被锁定。"), left=left)
    if read_only:
        return user
    with store.write():
        store.clear_login_failures(user["id"])
        store.audit(format_time(now), user["username"], "login")
        if hasher.check_needs_rehash(user["password_hash"]):
            store.set_password(user["id"], hash_password(password))
    return user


def change_password(
    store: Store, user: dict[str, Any], current: str, new: str, repeat: str, *, now: datetime
) -> None:
    """Change a user's own password after checking the current one."""
    if not _verify(user["password_hash"], current):
        raise NotAllowed(N_("当前密码不正确。"))
    if new != repeat:
        raise NotAllowed(N_("两次输入的新密码不一致。"))
    try:
        check_password_rules(new)
    except InvalidInput as weak:
        raise NotAllowed(weak.template, **weak.params) from None
    with store.write():
        store.set_password(user["id"], hash_password(new))
        store.audit(format_time(now), user["username"], "change_password")


def unlock_user(store: Store, user_id: int, admin: str, now: datetime) -> None:
    """Clear a user's lock and failure count (admin)."""
    with store.write():
        store.clear_login_failures(user_id)
        store.audit(format_time(now), admin, "unlock_user", str(user_id))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _china_clock(stored: str) -> str:
    from sync.events import CHINA_TZ

    return parse_time(stored).astimezone(CHINA_TZ).strftime("%H:%M")


def set_active(store: Store, user_id: int, active: bool, admin: str, now: datetime) -> None:
    """Disable or re-enable an account (admin); an admin cannot disable their own account."""
    user = store.user_by_id(user_id)
    if user is None:
        raise InvalidInput(N_("账号不存在。"), field="user")
    if user["username"] == admin and not active:
        raise InvalidInput(N_("不能停用自己正在使用的账号。"), field="user")
    with store.write():
        store.set_user_active(user_id, active)
        store.audit(
            format_time(now), admin, "enable_user" if active else "disable_user", user["username"]
        )
