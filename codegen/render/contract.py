"""What generated code needs at run time, stated in the package it writes (`runtime.py`).

The generated runtime uses asyncpg's public API only. `ASYNCPG_FROM` is the oldest asyncpg
it works with: 0.30 brought `create_pool(reset=)` (the pool's reset that
`commit_and_reset` spares) and `Connection.fetchmany` (`:batchmany`, `:batchone`); the
golden package's tests pass on 0.30.0, 0.31.0 and 0.32.0 and fail on 0.29.0. `ASYNCPG_BELOW`
is the first version it is not promised to (asyncpg's next major). pyproject.toml's
asyncpg requirement is this range (`tests/test_runtime_contract.py` holds them together).
"""

from __future__ import annotations

from codegen import __version__

ASYNCPG_FROM = "0.30"
ASYNCPG_BELOW = "1"


def generated_by() -> str:
    """`codegen <version>`: the generator's one version (`codegen.__version__`, which the
    distribution's metadata is built from)."""
    return f"codegen {__version__}"
