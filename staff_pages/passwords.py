"""The password policy of both apps: argon2 hashes renewed at log-in when the parameters grow, the
rules a new password must meet, and a check as slow for an unknown user as for a known one."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sync.errors import N_, InvalidInput

MIN_PASSWORD = 10

hasher = PasswordHasher()

# Verifying against this keeps the time of an unknown user's log-in close to a known one's.
_DUMMY_HASH = hasher.hash("bianmin-timing-equaliser")


def hash_password(password: str) -> str:
    """Return the argon2 hash of a password."""
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether a password matches its hash; with no hash (an unknown user), spend the same
    time and say no."""
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a hash was made with weaker parameters than today's (rehash it at log-in)."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too weak to protect residents' data."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(N_("密码至少需要 %(n)s 位。"), field="password", n=MIN_PASSWORD)
    if password.isdigit() or password.isalpha():
        raise InvalidInput(N_("密码须同时包含字母和数字。"), field="password")
