"""Typed domain errors: what went wrong, the HTTP-style status, and the message users see.

The service raises only these. Driver exceptions never escape: `tx.py` (the one place
that sees them) maps them to these, with the original chained for the logs.

Two errors say "try again", and they promise different things:

* TransientError (503): nothing was written; the operation may be retried as is.
* OutcomeUnknown (503): the connection was lost while COMMIT was in flight, so the
  write may or may not have happened. Every write of the service is safe to repeat
  (client-chosen ids, idempotency on the natural key, deletes that report "already
  deleted"), so the answer is the same: retry with the same ids. It is its own type
  because "nothing happened" would be a lie.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import ClassVar, TypeVar

T = TypeVar("T")


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
    """A model config names a provider that does not exist (the service checks it: no
    foreign key ties configs to providers, whose configs outlive them as history)."""

    status = 400
    default_message = "Chat provider is not configured."


class Gone(DomainError):
    """The chat was deleted. A deleted chat stays deleted: its id is never used again,
    so a late retry of a send (or a create with that id) cannot bring it back."""

    status = 410
    default_message = "The chat was deleted."


class NoDefaultModelConfig(DomainError):
    """No usable model config: none that is live, enabled, and of an enabled provider."""

    status = 500
    default_message = "no default chat model config is available"


class InternalError(DomainError):
    """An unexpected race or database error; details are in the chained exception."""

    status = 500


class TransientError(DomainError):
    """The operation was rolled back whole and may be retried as is.

    Also what a timeout becomes (waiting for a pooled connection, a statement, a lock,
    or the answer to a transaction past the client's deadline, all bounded by
    `tx.Timeouts`)."""

    status = 503
    default_message = "The database is temporarily unavailable; retry the request."
    retryable = True


class OutcomeUnknown(DomainError):
    """The connection was lost during COMMIT: the write may or may not be stored.

    Retryable: repeat the call with the same ids (client_message_id, chat_id, config
    id, ...; a create called without an id: with `created_id`, the one it chose); every
    write of the service is idempotent, so a repeat either does the write or reports
    what the first attempt did. Also what a COMMIT left unanswered past the client's
    deadline becomes (`tx.Timeouts.deadline`)."""

    status = 503
    default_message = (
        "The database connection was lost while saving; the change may or may not have "
        "been saved. Retry the request."
    )
    retryable = True

    def __init__(self, message: str | None = None, *, created_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        # The id a create chose for the row it may have stored (a create the client gave
        # no id): repeat the call with this id, and a stored row is returned, not doubled.
        self.created_id = created_id


# -- outcomes of a lookup, in one place ------------------------------------------------


def found(row: T | None) -> T:
    """A row the caller asked for: missing (or not theirs — the query decides) is NotFound."""
    if row is None:
        raise NotFound()
    return row


def expect_row(row: T | None) -> T:
    """A row the transaction guarantees exists; its absence is an internal race."""
    if row is None:
        raise InternalError("expected a row, found none")
    return row


def same_or_conflict(row: T | None, wanted: Mapping[str, object], what: str) -> T:
    """A write's row: the one just written, or the stored one if this call repeats the
    same request (a retry after an unknown outcome). The same key with another request is
    a Conflict naming the fields that differ; no row (the key is taken by a row the
    caller may not see) is a Conflict naming nothing about it. `what` names the key:
    "A chat with this id"."""
    if row is None:
        raise Conflict(f"{what} already exists.")
    differ = [name for name, value in wanted.items() if getattr(row, name) != value]
    if differ:
        raise Conflict(f"{what} already exists with another {', '.join(differ)}.")
    return row
