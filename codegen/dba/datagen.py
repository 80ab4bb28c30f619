"""Generated rows for `explain`: every table filled at a chosen size, constraints respected.

Plans only mean something on data of realistic size and shape, so this reads the
migrated scratch database's own catalog (columns, identity, defaults, keys, foreign keys,
CHECK `IN` lists, enums) and fills the tables in foreign key order, one `INSERT ... SELECT
... FROM generate_series(1, n) AS g(i)` per table, with an expression per column driven by
its type. Key columns are deterministic functions of the row number `i`, so a child row
can reference parent row `j` by computing the parent's key from `j` (no lookups). Foreign
keys are skewed like real data: the newest half of a child table's rows belong to the
parent's first row (one busy chat, one heavy user), the older half spread evenly; a key
made of foreign keys (a line-item or many-to-many table) walks its parents' combinations,
so its rows are distinct up to their product: a row count beyond that is capped, and said.
Nullable columns stay NULL, columns with defaults take them, except NOT NULL dates and
times, which advance a second per row so ORDER BY them means something.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import asyncpg
import pglast
from pglast import ast
from pglast.stream import RawStream

from codegen.errors import CodegenError
from codegen.parse.nodes import present

BASE_ROWS = 100  # a table without foreign keys
GROWTH = 10  # each level of foreign keys below it multiplies the size
MAX_ROWS = 200_000

_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       t.typtype::text, t.typcategory::text AS typcategory, a.attnotnull, a.atthasdef,
       a.attidentity::text, a.attgenerated::text
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '%yoyo%'
ORDER BY c.relname, a.attnum
"""
_CONSTRAINTS = """
SELECT c.relname, k.contype::text,
       ARRAY(SELECT attname FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute ON attrelid = k.conrelid AND attnum = u.n ORDER BY o) AS cols,
       f.relname AS ref_table,
       ARRAY(SELECT attname FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute ON attrelid = k.confrelid AND attnum = u.n ORDER BY o) AS ref_cols,
       pg_get_constraintdef(k.oid) AS def
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_class f ON f.oid = k.confrelid
WHERE k.connamespace = 'public'::regnamespace AND k.contype IN ('p', 'u', 'f', 'c')
UNION ALL
SELECT c.relname, 'u', ARRAY(SELECT attname FROM pg_attribute
                             WHERE attrelid = c.oid AND attnum = ANY(x.indkey)), NULL, NULL, ''
FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
WHERE x.indisunique AND c.relnamespace = 'public'::regnamespace
ORDER BY 1, 2, 3
"""


_ForeignKey = tuple[tuple[str, ...], str, tuple[str, ...]]  # columns, parent table, its columns


@dataclass
class _Col:
    name: str
    type: str
    typtype: str  # e: enum
    category: str  # PostgreSQL's type category: N numeric, S string, D date/time, A array...
    not_null: bool
    has_default: bool
    identity: bool
    generated: bool
    in_list: str | None = None  # `ARRAY[...]` from a CHECK (col IN (...))


@dataclass
class _Table:
    name: str
    cols: dict[str, _Col] = field(default_factory=dict)
    keys: list[tuple[str, ...]] = field(default_factory=list)  # primary and unique
    fks: list[_ForeignKey] = field(default_factory=list)

    def in_key(self, col: str) -> bool:
        return any(col in key for key in self.keys)


def _check_in_list(definition: str) -> tuple[str, str] | None:
    """(column, `ARRAY[...]`) for `CHECK ((col = ANY (ARRAY[...])))`, else None."""
    try:
        expr = pglast.parse_sql("SELECT " + definition.removeprefix("CHECK "))[0].stmt
    except pglast.parser.ParseError:
        return None
    assert isinstance(expr, ast.SelectStmt)
    node = present(present(expr.targetList)[0].val)
    if not isinstance(node, ast.A_Expr) or node.kind != pglast.enums.A_Expr_Kind.AEXPR_OP_ANY:
        return None
    if not isinstance(node.lexpr, ast.ColumnRef):
        return None
    column = present(node.lexpr.fields)[-1]
    if not isinstance(column, ast.String) or not isinstance(node.rexpr, ast.Node):
        return None
    return present(column.sval), RawStream()(node.rexpr)


async def read_tables(conn: asyncpg.Connection[asyncpg.Record]) -> dict[str, _Table]:
    tables: dict[str, _Table] = {}
    for r in await conn.fetch(_COLUMNS):
        t = tables.setdefault(r["relname"], _Table(r["relname"]))
        t.cols[r["attname"]] = _Col(
            r["attname"], r["type"], r["typtype"], r["typcategory"], r["attnotnull"],
            r["atthasdef"], r["attidentity"] != "", r["attgenerated"] != "",
        )  # fmt: skip
    for r in await conn.fetch(_CONSTRAINTS):
        if r["relname"] not in tables:
            continue
        t = tables[r["relname"]]
        cols = tuple(r["cols"])
        if r["contype"] in ("p", "u") and cols not in t.keys:
            t.keys.append(cols)
        elif r["contype"] == "f":
            t.fks.append((cols, r["ref_table"], tuple(r["ref_cols"])))
        elif r["contype"] == "c" and (found := _check_in_list(r["def"])) and found[0] in t.cols:
            t.cols[found[0]].in_list = found[1]
    return tables


def fk_order(tables: dict[str, _Table]) -> list[str]:
    """Tables parents first (a self-reference does not count); cycles are an error."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "open":
            raise CodegenError(f"explain: foreign keys form a cycle through table {name!r}")
        state[name] = "open"
        for _, ref, _ in tables[name].fks:
            if ref != name and ref in tables:
                visit(ref)
        state[name] = "done"
        order.append(name)

    for name in sorted(tables):
        visit(name)
    return order


def default_rows(tables: dict[str, _Table]) -> dict[str, int]:
    """BASE_ROWS for a root table, GROWTH times more per level of NOT NULL foreign keys
    (a row that must have a parent is a child; an optional reference, like `created_by`,
    does not make a table big), capped at MAX_ROWS and at what its keys can hold (`fit`)."""
    depth: dict[str, int] = {}
    for name in fk_order(tables):
        t = tables[name]
        parents = [
            depth[ref]
            for cols, ref, _ in t.fks
            if ref != name and ref in depth and all(t.cols[c].not_null for c in cols)
        ]
        depth[name] = 1 + max(parents) if parents else 0
    return fit(tables, {name: min(BASE_ROWS * GROWTH**d, MAX_ROWS) for name, d in depth.items()})[0]


def _key_parents(t: _Table, key: tuple[str, ...]) -> list[_ForeignKey] | None:
    """The foreign keys a key is made of, in key order (order_items (order_id, product_id):
    orders, then products), or None when a column of the key belongs to no foreign key
    (its values are then distinct per row anyway) or one refers to the table itself, or
    the key has no columns (a unique index on expressions only)."""
    if not key:
        return None
    groups: list[_ForeignKey] = []
    for col in key:
        fk = next((f for f in t.fks if col in f[0]), None)
        if fk is None or fk[1] == t.name:
            return None
        if fk not in groups:
            groups.append(fk)
    return groups


def fit(tables: dict[str, _Table], sizes: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """`sizes` with each table capped at the distinct values of its keys made of foreign
    keys (10 orders x 20 products: 200 order items at most; one passport per order), and a
    note for each cap."""
    out = dict(sizes)
    notes = []
    for name in fk_order(tables):
        t = tables[name]
        for key in t.keys:
            groups = _key_parents(t, key)
            if groups is None or any(ref not in tables for _, ref, _ in groups):
                continue
            room = math.prod(out.get(ref, 0) for _, ref, _ in groups)
            if out.get(name, 0) > room:
                parents = " x ".join(f"{out.get(ref, 0):,} {ref}" for _, ref, _ in groups)
                notes.append(
                    f"{name}: {out[name]:,} rows asked, {room:,} generated: its key"
                    f" ({', '.join(key)}) has {room:,} distinct values ({parents})"
                )
                out[name] = room
    return out, notes


def _literal_expr(t: _Table, c: _Col, i: str) -> str:
    """A NOT NULL value for row `i` (an SQL expression), unique when the column must be."""
    unique = t.in_key(c.name)
    if c.typtype == "e":
        rng = f"enum_range(NULL::{c.type})"
        return f"({rng})[1 + ({i}) % array_length({rng}, 1)]"
    if c.in_list:
        return f"({c.in_list})[1 + ({i}) % array_length({c.in_list}, 1)]"
    if c.type == "uuid":
        return f"md5('{t.name}.{c.name}.' || ({i}))::uuid"
    if c.category == "S":
        return f"('{c.name}-' || ({i}))::{c.type}"
    if c.category == "N":
        return f"({i})::{c.type}" if unique else f"(1 + ({i}) % 100)::{c.type}"
    if c.category == "B":
        return "false"
    if c.category == "D":
        return f"(timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => ({i})))::{c.type}"
    if c.category == "T":
        return f"make_interval(secs => ({i}))"
    if c.category == "A":
        return f"'{{}}'::{c.type}"
    if c.type in ("json", "jsonb"):
        return f"'{{}}'::{c.type}"
    if c.type == "bytea":
        return f"convert_to(({i})::text, 'UTF8')"
    if (vector := _VECTOR.match(c.type)) is not None:  # pgvector: sin(i*1), ..., sin(i*n)
        n = vector.group(2) or "3"
        dense = f"(SELECT array_agg(sin(({i}) * d))::real[] FROM generate_series(1, {n}) AS d)"
        return f"{dense}::vector::{c.type}"
    raise CodegenError(
        f"explain: cannot generate values of type {c.type} for {t.name}.{c.name};"
        " give the column a DEFAULT or make it nullable"
    )


# pgvector's types as format_type() prints them: vector(384), halfvec(3), sparsevec
_VECTOR = re.compile(r"(vector|halfvec|sparsevec)(?:\((\d+)\))?$")


def _parent_row(t: _Table, fk: _ForeignKey, sizes: dict[str, int]) -> str:
    """Which parent row child row `i` references through `fk`: skewed unless it is in a key.

    The newest half of the rows (the highest `i`) all belong to parent row 1, the older half
    spread evenly: a busy chat whose messages come after everyone else's, one heavy user.
    In a key made of foreign keys the rows count through the parents' combinations in
    mixed radix (order_items: order 1..n with product 1, then with product 2, ...), so
    every key value is distinct up to the product of the parents' sizes (see `fit`).
    """
    parents = max(sizes.get(fk[1], 1), 1)
    for key in t.keys:
        groups = _key_parents(t, key)
        if groups is not None and fk in groups:
            stride = math.prod(max(sizes.get(g[1], 1), 1) for g in groups[: groups.index(fk)])
            return f"(1 + ((i - 1) / {stride}) % {parents})"
    rows = sizes.get(t.name, 0)
    return f"(CASE WHEN i > {rows // 2} THEN 1 ELSE 1 + (i - 1) % {parents} END)"


@dataclass(frozen=True)
class _Joins:
    """How composite foreign keys get their values: one parent row per key, joined.

    `columns`: column -> the joined parent's column it takes; `ctes` and `joins`: the SQL.
    """

    columns: dict[str, str]
    ctes: tuple[str, ...]
    joins: tuple[str, ...]


def _q(names: tuple[str, ...] | list[str], alias: str = "") -> str:
    return ", ".join(f'{alias}"{n}"' for n in names)


def composite_joins(tables: dict[str, _Table], sizes: dict[str, int], t: _Table) -> _Joins:
    """Parent rows for the composite foreign keys of `t`, consistent where keys overlap.

    A composite key takes all its columns from one parent row (the parents are numbered
    in a CTE, and child row `i` joins the row `_parent_row` picks, among those whose
    shared columns the later overlapping keys' parents have too). A later key that
    shares columns with an earlier one (chats (account_id, user_id) and (account_id,
    agent_id)) picks among the parent rows that agree on the shared columns (an agent of
    the user's account).
    """
    columns: dict[str, str] = {}
    ctes: list[str] = []
    joins: list[str] = []
    composite = [f for f in t.fks if len(f[0]) > 1 and f[1] in tables and f[1] != t.name]
    ordered = sorted(composite, key=lambda f: (-len(f[0]), f))
    for n, (cols, ref, ref_cols) in enumerate(ordered):
        alias = f"fk{n}"
        shared = [(c, rc) for c, rc in zip(cols, ref_cols, strict=True) if c in columns]
        part = f"PARTITION BY {_q([rc for _, rc in shared])} " if shared else ""
        where = _agreeing(cols, ref_cols, ordered[n + 1 :])
        ctes.append(
            f"{alias} AS MATERIALIZED (SELECT {_q(ref_cols)},"
            f" row_number() OVER ({part}ORDER BY {_q(ref_cols)}) AS rn,"
            f' count(*) OVER ({part.strip()}) AS cnt FROM "{ref}"{where})'
        )
        on = [f'{alias}."{rc}" = {columns[c]}' for c, rc in shared]
        j = _parent_row(t, (cols, ref, ref_cols), sizes)
        on.append(f"{alias}.rn = 1 + ({'i' if shared else j} - 1) % {alias}.cnt")
        joins.append(f"JOIN {alias} ON {' AND '.join(on)}")
        for c, rc in zip(cols, ref_cols, strict=True):
            columns.setdefault(c, f'{alias}."{rc}"')
    return _Joins(columns, tuple(ctes), tuple(joins))


def _agreeing(cols: tuple[str, ...], ref_cols: tuple[str, ...], later: list[_ForeignKey]) -> str:
    """A WHERE clause keeping the parent rows whose shared columns have a match in the
    parents of every later overlapping key (a user whose account has an agent too)."""
    conds = []
    for other_cols, other_ref, other_ref_cols in later:
        pairs = [
            (rc, other_ref_cols[other_cols.index(c)])
            for c, rc in zip(cols, ref_cols, strict=True)
            if c in other_cols
        ]
        if pairs:
            mine, theirs = _q([a for a, _ in pairs]), _q([b for _, b in pairs])
            conds.append(f'({mine}) IN (SELECT {theirs} FROM "{other_ref}")')
    return f" WHERE {' AND '.join(conds)}" if conds else ""


def column_expr(tables: dict[str, _Table], sizes: dict[str, int], t: _Table, c: _Col) -> str | None:
    """The expression for column `c` of row `i`; None to leave it to its default.
    (Columns of composite foreign keys come from `composite_joins` instead.)"""
    for fk in t.fks:
        cols, ref, ref_cols = fk
        if c.name in cols and ref in tables:
            parent = tables[ref]
            ref_col = parent.cols[ref_cols[cols.index(c.name)]]
            j = _parent_row(t, fk, sizes)
            return value_expr(parent, ref_col, j)
    if c.category == "D" and c.not_null:  # timestamps spread over time, newest rows last
        return value_expr(t, c, "i")
    if c.generated or (c.has_default and not c.identity and not t.in_key(c.name)):
        return None
    if not c.not_null and not t.in_key(c.name):
        return None
    return value_expr(t, c, "i")


def value_expr(t: _Table, c: _Col, i: str) -> str:
    """Row `i`'s value of key or plain column `c` (identity columns count rows from 1)."""
    return f"({i})::{c.type}" if c.identity else _literal_expr(t, c, i)


def insert_sql(tables: dict[str, _Table], sizes: dict[str, int], name: str) -> str:
    t = tables[name]
    via = composite_joins(tables, sizes, t)
    exprs = {
        c.name: via.columns.get(c.name) or column_expr(tables, sizes, t, c) for c in t.cols.values()
    }
    chosen = {k: v for k, v in exprs.items() if v is not None}
    overriding = " OVERRIDING SYSTEM VALUE" if any(t.cols[k].identity for k in chosen) else ""
    cols = ", ".join(f'"{k}"' for k in chosen)
    values = ", ".join(chosen.values())
    with_ = f"WITH {', '.join(via.ctes)} " if via.ctes else ""
    return (
        f'{with_}INSERT INTO "{name}" ({cols}){overriding} '
        f"SELECT {values} FROM generate_series(1, {sizes.get(name, 0)}) AS g(i)"
        + "".join(f" {j}" for j in via.joins)
    )


async def fill(
    conn: asyncpg.Connection[asyncpg.Record], tables: dict[str, _Table], sizes: dict[str, int]
) -> None:
    """Insert the rows, reset identity sequences past them, VACUUM ANALYZE. An index of an
    extension's access method (pgvector's hnsw, ivfflat) is built after its table's rows,
    as a bulk load does: filled row by row, an HNSW index took 6 times as long."""
    for name in fk_order(tables):
        deferred = await conn.fetch(_EXTENSION_INDEXES, name)
        for r in deferred:
            await conn.execute(f'DROP INDEX "{r["indexname"]}"')
        try:
            await conn.execute(insert_sql(tables, sizes, name))
        except asyncpg.PostgresError as exc:
            raise CodegenError(
                f"explain: generating {sizes.get(name, 0)} rows for table {name} failed: {exc}"
                " (a CHECK or unique constraint the generator does not understand?"
                f" pass --rows {name}=0 to leave it empty)"
            ) from None
        for c in tables[name].cols.values():
            if c.identity and sizes.get(name, 0) > 0:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{c.name}'), $1)",
                    sizes[name],
                )
        for r in deferred:
            await conn.execute(r["indexdef"])
    await conn.execute("VACUUM ANALYZE")


# The indexes of a public table whose access method an extension added (not btree, hash,
# gist, gin, spgist, brin: PostgreSQL's own, in pg_catalog's oid range below 16384).
_EXTENSION_INDEXES = """
SELECT i.relname AS indexname, pg_get_indexdef(i.oid) AS indexdef
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE t.relname = $1 AND t.relnamespace = 'public'::regnamespace AND am.oid >= 16384
ORDER BY i.relname
"""
