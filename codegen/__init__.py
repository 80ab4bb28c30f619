"""sqlc-style code generator: SQL schema and named queries -> typed async asyncpg code."""
