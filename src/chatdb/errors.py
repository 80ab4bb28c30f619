"""Typed domain errors: what went wrong, the HTTP-style status, and the message users see.

The service raises only these. Driver exceptions never escape: they are mapped here or
wrapped as InternalError / TransientError with the original chained for the logs.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "Internal error."
    retryable: ClassVar[bool] = False

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidInput(DomainError):
    """Bad input caught before it reaches SQL."""

    status = 400
    default_message = "Invalid input."


class NotFound(DomainError):
    """Missing, or not the caller's: the two are indistinguishable on purpose."""

    status = 404
    default_message = "Resource not found or you do not have access to this resource"


class Conflict(DomainError):
    status = 409
    default_message = "Resource already exists."


class ProviderNotConfigured(DomainError):
    """A model config names a provider that does not exist (seed 000: no FK does this)."""

    status = 400
    default_message = "Chat provider is not configured."


class NoDefaultModelConfig(DomainError):
    status = 500
    default_message = "no default chat model config is available"


class InternalError(DomainError):
    """An unexpected race or database error; details are in the chained exception."""

    status = 500


class TransientError(DomainError):
    """The operation was rolled back whole and may be retried as is."""

    status = 503
    default_message = "The database is temporarily unavailable; retry the request."
    retryable = True
