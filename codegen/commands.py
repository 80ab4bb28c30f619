"""The query commands (`-- name: X :cmd`) and what each one means, in one place.

sqlc keeps its command constants in `internal/metadata`; this is the same idea. Every stage
asks a `Command` for its traits instead of re-listing command names: parse accepts exactly
these, analyze and vet read `returns_rows`, render picks the template macro by `value` and
reads `takes_batch`, `driver_call` and `counts_rows`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class Traits:
    returns_rows: bool  # the function returns result rows (columns are required)
    takes_batch: bool  # takes an iterable of `<Name>Params` instead of keyword arguments
    many_rows: bool  # returns a list of rows rather than at most one
    counts_rows: bool  # returns a number of rows affected/copied
    driver_call: str  # the asyncpg method the generated function calls


class Command(enum.StrEnum):
    """A query command. A `StrEnum`, so `Command.ONE == "one"` and it prints as written."""

    ONE = "one"
    MANY = "many"
    EXEC = "exec"
    EXECROWS = "execrows"
    EXECRESULT = "execresult"
    COPYFROM = "copyfrom"
    BATCHEXEC = "batchexec"
    BATCHMANY = "batchmany"
    BATCHONE = "batchone"

    @property
    def traits(self) -> Traits:
        return _TRAITS[self]

    @property
    def returns_rows(self) -> bool:
        return _TRAITS[self].returns_rows

    @property
    def takes_batch(self) -> bool:
        return _TRAITS[self].takes_batch

    @property
    def many_rows(self) -> bool:
        return _TRAITS[self].many_rows

    @property
    def counts_rows(self) -> bool:
        return _TRAITS[self].counts_rows

    @property
    def driver_call(self) -> str:
        return _TRAITS[self].driver_call


_TRAITS: dict[Command, Traits] = {
    Command.ONE: Traits(True, False, False, False, "fetchrow"),
    Command.MANY: Traits(True, False, True, False, "fetch"),
    Command.EXEC: Traits(False, False, False, False, "execute"),
    Command.EXECROWS: Traits(False, False, False, True, "execute"),
    Command.EXECRESULT: Traits(False, False, False, False, "execute"),
    Command.COPYFROM: Traits(False, True, False, True, "copy_records_to_table"),
    Command.BATCHEXEC: Traits(False, True, False, False, "executemany"),
    Command.BATCHMANY: Traits(True, True, True, False, "fetchmany"),
    Command.BATCHONE: Traits(True, True, True, False, "fetchmany"),
}


def parse_command(text: str) -> Command | None:
    """`Command` for `text` as written after the colon, or None when there is no such one."""
    try:
        return Command(text)
    except ValueError:
        return None
