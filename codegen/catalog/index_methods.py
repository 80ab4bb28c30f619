"""CREATE INDEX ... USING <method> (col opclass): the access method and its operator
classes as PostgreSQL checks them.

PostgreSQL's own index methods take any of their operator classes (not checked here); a
method an extension adds (pgvector's hnsw and ivfflat) exists once the schema creates the
extension, and takes only the operator classes dumped with it
(`data/pg<N>/extensions/<name>.json`, "access_methods"), each for its own type. The
errors are PostgreSQL's own.
"""

from __future__ import annotations

from pglast import ast

from codegen.catalog.builder import Builder
from codegen.catalog.model import Table
from codegen.errors import CodegenError, SourceText
from codegen.extensions import index_methods
from codegen.parse.nodes import node, present, sval

# The index access methods built into PostgreSQL 15 to 18 (pg_am, amtype 'i').
BUILTIN = frozenset({"btree", "hash", "gist", "gin", "spgist", "brin"})


def index_method(
    b: Builder, stmt: ast.IndexStmt, table: Table, source: SourceText
) -> tuple[str, ...]:
    """The operator class of each key (None: the method's default), after checking that
    `stmt`'s access method exists and accepts each key's type with its class."""
    method = stmt.accessMethod or "btree"
    params = [node(e, ast.IndexElem) for e in stmt.indexParams or ()]
    opclasses = tuple(sval(e.opclass[-1]) if e.opclass else "" for e in params)
    if method in BUILTIN:
        return opclasses
    at = present(stmt.relation).location
    classes = index_methods(tuple(sorted(b.extensions)), b.version).get(method)
    if classes is None:
        raise CodegenError(f'access method "{method}" does not exist', source, at)
    for elem, opclass in zip(params, opclasses, strict=True):
        column = table.column(elem.name) if elem.name else None
        if not opclass:
            typ = column.type if column else "expression"
            default = next((c for c, (t, d) in classes.items() if d and t == typ), None)
            if default is None:
                raise CodegenError(
                    f'data type {typ} has no default operator class for access method "{method}"',
                    source,
                    at,
                )
            continue
        if opclass not in classes:
            message = f'operator class "{opclass}" does not exist for access method "{method}"'
            raise CodegenError(message, source, at)
        accepts = classes[opclass][0]
        if column is not None and not b.types.coercible(column.type, accepts):
            message = f'operator class "{opclass}" does not accept data type {column.type}'
            raise CodegenError(message, source, at)
    return opclasses
