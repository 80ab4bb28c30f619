"""sqlc-style code generator: SQL schema and named queries -> typed async asyncpg code."""

# The one place the version is written: the wheel's metadata (pyproject's dynamic version),
# `codegen --version` and the generated code read it from here.
__version__ = "0.1.0"
