"""What both command lines (`codegen`, `codegen migrate`) share: the argument parser whose
usage errors exit 1, `guarded`, which turns every failure into a message and an exit
status, and `Extension`, what a tool registers with `codegen`. A leaf: it imports no
command, so each CLI builds on it without importing the other.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from codegen.errors import CodegenError, CodegenErrors, shown

if TYPE_CHECKING:
    from codegen.analyze import Analysis
    from codegen.catalog import Catalog
    from codegen.config import Config
    from codegen.pipeline import Output, Result
    from codegen.vet import Finding

Command = tuple[Callable[[argparse.Namespace], int], str]  # handler, help text


def _no_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    return None


@dataclass(frozen=True)
class Extension:
    """What a tool adds to `codegen`: commands (and their options), files `generate`
    writes and `check` compares, keys of `describe`'s entries, and `vet` findings."""

    commands: Mapping[str, Command]
    add_arguments: Callable[[str, argparse.ArgumentParser], None] = _no_arguments
    outputs: tuple[Output, ...] = ()
    describe: Callable[[Analysis, Catalog], dict[str, object]] | None = None
    vet: Callable[[Config, Result], list[Finding]] | None = None


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is bad input like any other: exit status 1."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"error: {message}\n")


def guarded(run: Callable[[], int]) -> int:
    """Run a command; every failure is a message and an exit status, never a traceback.

    Both CLIs (`codegen`, `codegen migrate`) report through this one function: bad input
    (`CodegenError`, a database that cannot be reached, an OS error) exits 1 as
    `file:line:col: error: ...` or `error: ...`; anything else is an internal error, one
    line, exit 2.
    """
    try:
        return run()
    except CodegenErrors as errs:
        print(errs.render(), file=sys.stderr)
        print(f"{len(errs.errors)} error(s)", file=sys.stderr)
        return 1
    except CodegenError as err:
        print(err.render(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if _unavailable(exc):
            print(f"error: {_reason(exc)}", file=sys.stderr)
            return 1
        if os.environ.get("CODEGEN_DEBUG"):
            traceback.print_exc()
        else:
            message = " ".join(str(exc).split())
            print(
                f"internal error: {type(exc).__name__}: {message} "
                "(set CODEGEN_DEBUG=1 for a traceback, and please report it)",
                file=sys.stderr,
            )
        return 2


def _reason(exc: Exception) -> str:
    """An OS error as `file: reason` (the file relative to the project), else the text."""
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{shown(exc.filename)}: {exc.strerror}"
    return str(exc)


def _unavailable(exc: Exception) -> bool:
    """An OS error, or a database that cannot be reached (`dbutil.DatabaseUnavailable`;
    looked up only if dbutil was imported: psycopg and asyncpg cost `check` ~0.2 s)."""
    dbutil = sys.modules.get("codegen.dbutil")
    return isinstance(exc, OSError) or (
        dbutil is not None and isinstance(exc, dbutil.DatabaseUnavailable)
    )
