"""Stage 3 — analyze: infer each parameter's and result column's type and nullability.

Works on the parse tree from stage 1 and the catalog from stage 2, without a database.
Types follow PostgreSQL's own rules (functions, operators and implicit casts come from
`pgtypes`, dumped from a real server); nullability follows the SQL: NOT NULL columns,
outer joins, strict functions, aggregates over possibly empty input, COALESCE and CASE.
Anything it cannot type is an error that names the spot and suggests a cast, never a
silent `Any`.

The modules, one concern each: `scope` (names, CTEs, FROM items, joins), `statements`
(SELECT/INSERT/UPDATE/DELETE/VALUES shapes), `expressions` (a typing rule per node
class), `operators` and `functions` (resolution with PostgreSQL's tables), `nullability`
(the rules and per-function tables), `params` (parameter inference), `stars`
(`*` written out as columns in the SQL sent), `utility` (TRUNCATE, LOCK, NOTIFY, ... as
queries), `checks` (the
statement against its command), `colnames` (output column names), `uses` (the tables,
columns, locks and equalities the query uses, for the tools), `model` (what the next
stages read) and `context` (the state of one analysis).
"""

from __future__ import annotations

from pglast import ast

from codegen import catalog as cat
from codegen.analyze import checks, models, nullability, params, stars, statements, uses
from codegen.analyze.context import Context, Scope
from codegen.analyze.model import Analysis, Col, ParamInfo
from codegen.errors import SourceText
from codegen.parse import Query

__all__ = ["Analysis", "Col", "ParamInfo", "analyze", "view_columns"]


def analyze(query: Query, catalog: cat.Catalog) -> Analysis:
    """Types one query; a `CodegenError` names the spot of anything it cannot type."""
    ctx = Context(catalog, query, query.source)
    stmt = query.stmt
    copy_columns = checks.copy_columns(query, stmt)  # the shape first: it says more
    cols = statements.statement(ctx, stmt, Scope())
    checks.returns_rows(query, cols)
    checks.reports_count(query, stmt)
    typed_params = params.finish(ctx, query)
    embeds = any(c.embed for c in cols)
    model = models.whole_table(catalog, cols) if not embeds else None
    base_model = models.leading_table(catalog, cols) if not embeds else None
    kind = type(stmt).__name__.removesuffix("Stmt").lower()
    relation = getattr(stmt, "relation", None)
    table = relation.relname if isinstance(relation, ast.RangeVar) else None
    return Analysis(
        query=query,
        sql=stars.expand(query.sql, ctx.star_edits),
        params=typed_params,
        columns=tuple(cols),
        model=model,
        statement=kind,
        table=table,
        copy_columns=copy_columns,
        always_one_row=nullability.always_one_row(stmt),
        base_model=base_model,
        uses=uses.freeze(ctx, stmt),
    )


def view_columns(catalog: cat.Catalog, query: ast.Node, source: SourceText) -> cat.ViewQuery:
    """Columns of `CREATE VIEW ... AS query`, and what it uses, for the catalog stage: the
    relations, columns (those `*` stands for too) and types of casts and of its columns."""
    ctx = Context(catalog, None, source)
    cols = statements.statement(ctx, query, Scope())
    used: set[tuple[str, ...]] = {("type", c.type) for c in cols}
    used |= {("column", *c.origin) for c in cols if c.origin is not None}
    return cat.ViewQuery(
        tuple(cat.Column(c.name, c.type, not c.nullable) for c in cols),
        frozenset(ctx.used | used),
        frozenset(ctx.mutable),
    )
