"""The log-in lockout of both apps: who is stopped after failed log-ins, for how long, and what they
are told. Pure decisions; each app keeps the counters in its own store.

Three counters decide an attempt to log in as a name from a client address:
- ``here``: that name from that address. ``attempts`` failures in a row lock the name there, so a
  stranger who types wrong passwords locks the name only for themselves.
- ``everywhere``: that name from every address, against guessing from many addresses. A larger
  count locks the name everywhere but at the address of its last successful log-in (the real user's
  own PC keeps a way in); attempts during a lock are not counted, so the lock is never renewed
  while it runs.
- ``address``: every name from that address, against trying one password on many names.

A running lock refuses before the password is checked. Unknown names are counted exactly like real
ones, so no answer tells a real name from an unknown one. A lock that ran out starts its count
again, so one slip does not lock at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sync.errors import N_, NotAllowed
from sync.events import CHINA_TZ, format_time, parse_time

WRONG = N_("用户名或密码不正确。再失败 %(left)s 次账号将被锁定。")
LOCKED = N_("连续登录失败次数过多，账号已锁定至 %(until)s，请稍后再试或联系管理员解锁。")
ADDRESS_LOCKED = N_(
    "这台电脑登录失败次数过多，已暂停登录至 %(until)s，请稍后再试或联系管理员解锁。"
)


@dataclass(frozen=True)
class Counter:
    """Failed log-ins in a row and the lock they caused, if any."""

    failures: int = 0
    locked_until: datetime | None = None

    def running(self, now: datetime) -> bool:
        """Tell whether this counter's lock still runs."""
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True)
class LockoutRules:
    """How many failures lock what, and for how long (from the app's settings)."""

    attempts: int  # one name from one address
    account_attempts: int  # one name from every address
    address_attempts: int  # every name from one address
    minutes: int

    @classmethod
    def from_settings(cls, config: Mapping[str, Any]) -> LockoutRules:
        """Read the rules from an app's settings (the same names in both apps)."""
        return cls(
            attempts=int(config["LOCKOUT_ATTEMPTS"]),
            account_attempts=int(config["ACCOUNT_LOCKOUT_ATTEMPTS"]),
            address_attempts=int(config["ADDRESS_LOCKOUT_ATTEMPTS"]),
            minutes=int(config["LOCKOUT_MINUTES"]),
        )


@dataclass(frozen=True)
class Guard:
    """The counters of one attempt, and whether its address is the name's last log-in address."""

    here: Counter = Counter()
    everywhere: Counter = Counter()
    address: Counter = Counter()
    trusted: bool = False

    def lock_until(self, now: datetime) -> tuple[datetime | None, str]:
        """Return the end of the lock that stops this attempt and its message, or (None, "")."""
        if self.address.running(now):
            return self.address.locked_until, ADDRESS_LOCKED
        ends = [self.here.locked_until] if self.here.running(now) else []
        if self.everywhere.running(now) and not self.trusted:
            ends.append(self.everywhere.locked_until)
        return (max(ends), LOCKED) if ends else (None, "")  # type: ignore[type-var]


@dataclass(frozen=True)
class Attempt:
    """What one log-in attempt decided: the counters to keep and the refusal (None: let in)."""

    guard: Guard
    refusal: NotAllowed | None
    counted: bool  # False when a running lock refused it unchecked: nothing changes then
    locked: bool = False  # the attempt was refused by a lock (running or just made)


def decide(
    guard: Guard, rules: LockoutRules, now: datetime, password_ok: Callable[[], bool]
) -> Attempt:
    """Decide a log-in attempt: refuse it unchecked while a lock runs, else check the password,
    clearing the counters on success and counting a failure otherwise."""
    until, message = guard.lock_until(now)
    if until is not None:
        return Attempt(guard, locked_refusal(message, until), counted=False, locked=True)
    if password_ok():
        return Attempt(Guard(trusted=True), None, counted=True)
    counted = replace(
        guard,
        here=_count(guard.here, rules.attempts, rules.minutes, now),
        everywhere=_count(guard.everywhere, rules.account_attempts, rules.minutes, now),
        address=_count(guard.address, rules.address_attempts, rules.minutes, now),
    )
    until, message = counted.lock_until(now)
    if until is not None:
        return Attempt(counted, locked_refusal(message, until), counted=True, locked=True)
    left = max(1, rules.attempts - counted.here.failures)
    return Attempt(counted, NotAllowed(WRONG, left=left), counted=True)


def locked_refusal(message: str, until: datetime) -> NotAllowed:
    """Return the refusal of a locked log-in, with the lock's end in China time."""
    return NotAllowed(message, until=until.astimezone(CHINA_TZ).strftime("%H:%M"))


def _count(counter: Counter, limit: int, minutes: int, now: datetime) -> Counter:
    if counter.running(now):
        return counter  # a running lock is not renewed by the attempts it lets through
    failures = (0 if counter.locked_until else counter.failures) + 1
    locked = now + timedelta(minutes=minutes) if failures >= limit else None
    return Counter(failures, locked)


def counter_keys(address: str, username: str) -> dict[str, tuple[str, str]]:
    """Return the (address, username) key of each counter of an attempt ("" stands for any)."""
    return {"here": (address, username), "everywhere": ("", username), "address": (address, "")}


def guard_of(rows: dict[str, tuple[int, str | None]], trusted: bool) -> Guard:
    """Build the guard of an attempt from its stored counters: kind → (failures, locked_until)."""

    def counter(kind: str) -> Counter:
        failures, locked_until = rows.get(kind, (0, None))
        return Counter(int(failures), parse_time(locked_until) if locked_until else None)

    return Guard(counter("here"), counter("everywhere"), counter("address"), trusted)


def stored(counter: Counter) -> tuple[int, str | None]:
    """Return a counter as it is stored: (failures, locked_until as UTC ISO-8601)."""
    return counter.failures, format_time(counter.locked_until) if counter.locked_until else None
