"""The refusals of the central API: a protocol error code, a message for people, extra fields."""

from __future__ import annotations

from sync.errors import DomainError


class Refusal(DomainError):
    """A request or bundle refused with one of the protocol's codes (``sync.stages``)."""

    def __init__(self, code: str, message: str, **extra: object) -> None:
        self.code = code  # type: ignore[misc]  # an instance's code, not the class default
        self.extra = extra
        super().__init__(message)

    def body(self) -> dict[str, object]:
        """Return the JSON error body: the error and the fields the protocol puts beside it."""
        return {"error": {"code": self.code, "message": self.message}, **self.extra}
