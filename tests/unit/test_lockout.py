"""The log-in lockout of both apps (staff_pages.lockout): a stranger locks a name only at their own
address, the account-wide lock spares the user's own PC and is never renewed while it runs, and no
answer tells a real name from an unknown one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from staff_pages.lockout import ADDRESS_LOCKED, LOCKED, WRONG, Guard, LockoutRules, decide

RULES = LockoutRules(attempts=5, account_attempts=20, address_attempts=20, minutes=15)
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


class Accounts:
    """Counters kept as the apps' stores keep them, keyed like staff_pages.lockout.counter_keys."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], object] = {}
        self.last_login: dict[str, str] = {"admin": "10.0.0.1"}
        self.passwords = {"admin": "right-password-1"}

    def attempt(self, address: str, name: str, password: str, now: datetime = NOW):
        from staff_pages.lockout import Counter

        def get(kind: str, a: str, n: str) -> Counter:
            return self.rows.get((kind, a, n), Counter())  # type: ignore[return-value]

        guard = Guard(
            get("here", address, name),
            get("everywhere", "", name),
            get("address", address, ""),
            trusted=self.last_login.get(name) == address,
        )
        outcome = decide(guard, RULES, now, lambda: self.passwords.get(name) == password)
        if outcome.refusal is None:
            for key in (
                ("here", address, name),
                ("everywhere", "", name),
                ("address", address, ""),
            ):
                self.rows.pop(key, None)
            self.last_login[name] = address
        elif outcome.counted:
            self.rows[("here", address, name)] = outcome.guard.here
            self.rows[("everywhere", "", name)] = outcome.guard.everywhere
            self.rows[("address", address, "")] = outcome.guard.address
        return outcome.refusal


def test_five_wrong_passwords_lock_the_name_only_at_the_strangers_address() -> None:
    accounts = Accounts()
    said = [accounts.attempt("203.0.113.9", "admin", "guess") for _ in range(5)]
    assert [r.template for r in said] == [WRONG] * 4 + [LOCKED]
    assert [r.params["left"] for r in said[:4]] == [4, 3, 2, 1]
    assert accounts.attempt("203.0.113.9", "admin", "right-password-1").template == LOCKED
    assert accounts.attempt("10.0.0.1", "admin", "right-password-1") is None
    assert accounts.attempt("10.0.0.2", "admin", "right-password-1") is None  # any other PC too


def test_a_stranger_cannot_renew_the_lock_by_trying_during_it() -> None:
    accounts = Accounts()
    for _ in range(5):
        accounts.attempt("203.0.113.9", "admin", "guess")
    for minute in range(1, 15):
        refusal = accounts.attempt("203.0.113.9", "admin", "guess", NOW + timedelta(minutes=minute))
        assert refusal.template == LOCKED and refusal.params["until"] == "10:15"
    # The lock ran out: the count starts again, and one slip does not lock at once.
    later = NOW + timedelta(minutes=15, seconds=1)
    assert accounts.attempt("203.0.113.9", "admin", "guess", later).params["left"] == 4


def test_every_answer_is_the_same_for_a_real_and_an_unknown_name() -> None:
    real, unknown = Accounts(), Accounts()
    for _ in range(8):
        said_real = real.attempt("203.0.113.9", "admin", "guess")
        said_unknown = unknown.attempt("203.0.113.9", "nobody", "guess")
        assert (said_real.template, said_real.params) == (
            said_unknown.template,
            said_unknown.params,
        )


def test_guessing_from_many_addresses_locks_the_name_everywhere_but_at_its_users_pc() -> None:
    accounts = Accounts()
    for n in range(20):  # four guesses from each of five addresses: no address lock is reached
        accounts.attempt(f"198.51.100.{n // 4}", "admin", "guess")
    assert accounts.attempt("198.51.100.200", "admin", "right-password-1").template == LOCKED
    assert accounts.attempt("10.0.0.1", "admin", "right-password-1") is None  # the user's own PC


def test_the_account_wide_lock_is_not_renewed_while_it_runs() -> None:
    accounts = Accounts()
    for n in range(20):
        accounts.attempt(f"198.51.100.{n // 4}", "admin", "guess")
    for n in range(40):  # more guesses during the lock, from fresh addresses: none is counted
        accounts.attempt(f"192.0.2.{n}", "admin", "guess", NOW + timedelta(minutes=10))
    after = NOW + timedelta(minutes=15, seconds=1)
    assert accounts.attempt("192.0.2.250", "admin", "right-password-1", after) is None


def test_one_address_trying_many_names_is_locked_whatever_the_name() -> None:
    accounts = Accounts()
    for n in range(20):
        accounts.attempt("203.0.113.9", f"name{n}", "guess")
    refusal = accounts.attempt("203.0.113.9", "admin", "right-password-1")
    assert refusal.template == ADDRESS_LOCKED
    assert accounts.attempt("10.0.0.1", "admin", "right-password-1") is None
