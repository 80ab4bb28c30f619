"""Stage 2 — catalog: replay the migrations in `schema/` to learn tables, views, enums, ranges.

The migrations are the single source of truth for the schema: models are derived from
them, never declared a second time. We replay DDL statically, in yoyo's order
(by file name; `*.rollback.sql` skipped), with PostgreSQL's parser, through explicit
tables like sqlc's catalog `Update()` switch: `replay.STATEMENTS` (statement class ->
handler, or listed as having no effect on types) and `alter.ALTER_TABLE` (one entry per
`AlterTableType`). A statement in neither is an error that names it, never skipped.

Modules: `model` (the frozen result), `builder` (replay state, relation keys: `name` in
public, `schema.name` elsewhere), `create` (tables with INHERITS / PARTITION OF / LIKE,
keys, indexes, views), `change` (renames, drops with CASCADE, schemas, enums, ranges),
`alter` (ALTER TABLE), `names` (type names, default constraint names).
"""

from codegen.catalog.alter import ALTER_TABLE
from codegen.catalog.model import (
    Catalog,
    Column,
    Enum,
    ForeignKey,
    Index,
    Table,
    ViewColumns,
    ViewQuery,
)
from codegen.catalog.names import default_name, type_name
from codegen.catalog.replay import STATEMENTS, build
from codegen.catalog.sources import forward_sql, migration_files, sql_files, without_queries

__all__ = [
    "ALTER_TABLE",
    "STATEMENTS",
    "Catalog",
    "Column",
    "Enum",
    "ForeignKey",
    "Index",
    "Table",
    "ViewColumns",
    "ViewQuery",
    "build",
    "default_name",
    "forward_sql",
    "migration_files",
    "sql_files",
    "type_name",
    "without_queries",
]
