"""Domain errors: one type per kind of refusal, each with a message fit for a person.

Messages are written in Chinese (the source language of the translation catalogue). A message may hold
``%(name)s`` placeholders filled from ``params``, so the apps can translate the template first and fill
it afterwards; ``str(error)`` gives the filled Chinese text.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for the translation catalogue without translating it here (no Flask in sync/)."""
    return message


class DomainError(Exception):
    """A refusal with a message template and the values that fill it."""

    code = "domain_error"

    def __init__(self, message: str, **params: object) -> None:
        self.template = message
        self.params = params
        super().__init__(message % params if params else message)

    @property
    def message(self) -> str:
        """Return the filled message."""
        return str(self)


class InvalidInput(DomainError):
    """The input is malformed: a wrong ID number, a missing reason, a date that does not exist."""

    code = "invalid_input"

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        self.field = field
        super().__init__(message, **params)


class NotAllowed(DomainError):
    """The action is not allowed now: the case's state or the user's role does not permit it."""

    code = "not_allowed"


class NotFound(DomainError):
    """There is no such thing, or none the user may know of (the same answer for both)."""

    code = "not_found"


class Conflict(DomainError):
    """The action collides with what is already recorded (a duplicate, a stale form)."""

    code = "conflict"


class CalendarUnknown(DomainError):
    """The working-day calendar of a year is not known yet, so no date may be guessed."""

    code = "calendar_unknown"

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            N_("%(year)s 年的节假日安排尚未发布，无法计算工作日；请等待中心下发该年工作日历。"),
            year=year,
        )


class InvalidForm(InvalidInput):
    """Several fields of one form are wrong at once; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(N_("请更正标出的内容后再提交。"))
