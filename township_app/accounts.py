"""Staff accounts: argon2 password hashes, log-in checks with lockout, password changes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from staff_pages import lockout
from staff_pages.lockout import LockoutRules
from staff_pages.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from sync.errors import N_, InvalidInput, NotAllowed
from sync.events import format_time
from township_app import roles
from township_app.stores.login_store import LoginStore
from township_app.stores.store import Store

_USERNAME = re.compile(r"^[a-z0-9_.-]{2,32}$")


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
    rules: LockoutRules,
    remote_addr: str = "",
    session_id: str = "",
    session_hours: int = 24,
    read_only: bool = False,
) -> dict[str, Any]:
    """Return the user if the password is right, beginning the session ``session_id``; count
    failures per name and address, and lock after too many (staff_pages.lockout says which and for
    how long).

    On a read-only (damaged) database nothing is recorded, so staff can still log in and read.
    """
    name = username.strip().lower()[:32]
    found = store.user_by_username(name)
    user = found if found is not None and found["active"] else None
    if read_only:
        if user is None or not verify_password(user["password_hash"], password):
            raise NotAllowed(N_("用户名或密码不正确。"))
        return user
    logins = LoginStore(store)
    at = format_time(now)
    with store.write():
        guard = logins.guard(remote_addr, name, user["last_login_addr"] if user else None)
        attempt = lockout.decide(
            guard, rules, now, lambda: verify_password(user and user["password_hash"], password)
        )
        if attempt.refusal is None and user is not None:
            logins.forget_failures(remote_addr, name)
            logins.record_login(user["id"], remote_addr)
            logins.forget_sessions_before(format_time(now - timedelta(hours=session_hours)))
            logins.add_session(session_id, user["id"], at)
            logins.show_on_account(user["id"], 0, _running_lock(store, name, now))
            store.audit(at, user["username"], "login")
            if needs_rehash(user["password_hash"]):
                store.set_password(user["id"], hash_password(password))
            return user
        if attempt.counted:
            logins.save_guard(remote_addr, name, attempt.guard)
        if user is not None:
            locked = _running_lock(store, name, now)
            logins.show_on_account(user["id"], attempt.guard.everywhere.failures, locked)
        detail = (
            "locked" if attempt.locked else "unknown user" if user is None else "wrong password"
        )
        store.audit(
            at, name or "-", "login_refused" if not attempt.counted else "login_failed", detail
        )
    assert attempt.refusal is not None
    raise attempt.refusal


def change_password(
    store: Store,
    user: dict[str, Any],
    current: str,
    new: str,
    repeat: str,
    *,
    now: datetime,
    session_id: str = "",
) -> None:
    """Change a user's own password after checking the current one, ending every other session of
    the user (the one ``session_id`` that changed it goes on)."""
    if not verify_password(user["password_hash"], current):
        raise NotAllowed(N_("当前密码不正确。"))
    if new != repeat:
        raise NotAllowed(N_("两次输入的新密码不一致。"))
    try:
        check_password_rules(new)
    except InvalidInput as weak:
        raise NotAllowed(weak.template, **weak.params) from None
    with store.write():
        store.set_password(user["id"], hash_password(new))
        LoginStore(store).end_other_sessions(user["id"], keep=session_id)
        store.audit(format_time(now), user["username"], "change_password")


def log_out(store: Store, user: dict[str, Any], session_id: str, *, now: datetime) -> None:
    """End a session: a copy of its cookie is worth nothing after log-out."""
    with store.write():
        LoginStore(store).end_session(session_id)
        store.audit(format_time(now), user["username"], "logout")


def unlock_user(store: Store, user_id: int, admin: str, now: datetime) -> None:
    """Clear a user's locks and failure counts, and the locks of the addresses that failed as them
    (admin)."""
    user = store.user_by_id(user_id)
    if user is None:
        raise InvalidInput(N_("账号不存在。"), field="user")
    with store.write():
        LoginStore(store).unlock(user["username"])
        store.clear_login_failures(user_id)
        store.audit(format_time(now), admin, "unlock_user", str(user_id))


def _running_lock(store: Store, username: str, now: datetime) -> str | None:
    return LoginStore(store).newest_lock(username, format_time(now))


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
