"""Generated code against a live schema that has moved on (explicit column lists).

Teams apply a migration before they deploy the code that uses it, so the code generated
for the old schema keeps running against the new one. The generated functions build rows
by position, so the SQL they send must return exactly the columns they were generated for,
whatever the live table looks like: `*`, `t.*`, `RETURNING *` and `sqlc.embed(t)` are
written out as column lists at generate time.

Each scenario applies the migrations, changes every table behind the generated code (add
a column; drop and re-add one; reorder the columns by recreating the table) and then
checks every generated function that returns rows — found in the generated modules, not
listed here — in two ways: PostgreSQL's description of the SQL the function sends must
be the function's columns, name by name and type by type; and calling the reading
functions on real data must return each field's own value. A column that is gone must be
an error naming it, never a shifted row.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import pkgutil
import re
import types
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import asyncpg
import pytest

import chatdb.db
from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import connect, create_pool
from chatdb.semantic import EMBEDDING_DIMS, SearchService
from chatdb.service import ChatService
from codegen import analyze, parse, pipeline
from codegen import catalog as cat
from codegen import config as cfg
from codegen.commands import Command
from tests.conftest import ROOT

Conn: TypeAlias = "asyncpg.Connection[Any]"
Change: TypeAlias = Callable[[Conn, cat.Catalog], Awaitable[None]]


@dataclass(frozen=True)
class Reader:
    """A generated function that returns rows, the SQL it sends and what it was built for."""

    function: Callable[..., Awaitable[Any]]
    sql: str
    analysis: analyze.Analysis

    @property
    def name(self) -> str:
        return f"{self.function.__module__}.{self.function.__name__}"


def _project() -> pipeline.Result:
    return pipeline.compile_project(cfg.load(ROOT / "pyproject.toml"))


def _generated_modules() -> Iterator[types.ModuleType]:
    for info in pkgutil.iter_modules(chatdb.db.__path__):
        module = importlib.import_module(f"chatdb.db.{info.name}")
        if (module.__doc__ or "").startswith("Queries from "):
            yield module


def _globals_used(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _globals_used(const)
    return names


def readers() -> list[Reader]:
    """Every generated function that returns rows, matched to its query by the
    `Source: file:line` its docstring names."""
    by_source = {
        (a.query.source.path, a.query.line): a for file in _project().files.values() for a in file
    }
    found = []
    for module in _generated_modules():
        for _, fn in inspect.getmembers(module, inspect.iscoroutinefunction):
            source = re.search(r"Source: (\S+):(\d+)", fn.__doc__ or "")
            if fn.__module__ != module.__name__ or source is None:
                continue
            a = by_source[(source[1], int(source[2]))]
            if not Command(a.query.command).returns_rows:
                continue
            (sql,) = [
                value
                for name in _globals_used(fn.__code__)
                if name.isupper() and isinstance(value := getattr(module, name, None), str)
            ]
            found.append(Reader(fn, sql, a))
    return found


# -- the changes a later migration makes behind the generated code -------------------------


def _tables(catalog: cat.Catalog) -> list[cat.Table]:
    return [t for t in catalog.tables.values() if not t.is_view]


async def add_column(conn: Conn, catalog: cat.Catalog) -> None:
    for t in _tables(catalog):
        await conn.execute(f"ALTER TABLE \"{t.name}\" ADD COLUMN evolution_added text DEFAULT 'x'")


def _key(t: cat.Table) -> tuple[str, ...]:
    """The columns that find one row: the primary key, or the first unique key (users and
    agents are keyed by their unique (account_id, id))."""
    return t.primary_key or tuple(c for c in t.unique[0] if c)


def _movable(catalog: cat.Catalog, t: cat.Table) -> cat.Column:
    """The first column no key or index uses: dropping it loses nothing a query needs."""
    used = set(t.primary_key) | {c for u in t.unique for c in u}
    used |= {c for fk in t.foreign_keys for c in fk.columns}
    used |= {c for i in catalog.indexes if i.table == t.name for c in i.columns if c}
    return next(c for c in t.columns if c.name not in used)


async def drop_and_readd(conn: Conn, catalog: cat.Catalog) -> None:
    """Expand/contract: a column dropped and added again moves to the end, data kept."""
    for t in _tables(catalog):
        col = _movable(catalog, t)
        found = await conn.fetchrow(
            """SELECT format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid)
               FROM pg_attribute a LEFT JOIN pg_attrdef d
                 ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = $1::regclass AND a.attname = $2""",
            t.name,
            col.name,
        )
        assert found is not None, (t.name, col.name)
        typ, default = found
        keys = ", ".join(f'"{k}"' for k in _key(t))
        match = " AND ".join(f'o."{k}" = s."{k}"' for k in _key(t))
        await conn.execute(f"""
            CREATE TEMP TABLE saved AS SELECT {keys}, "{col.name}" FROM "{t.name}";
            ALTER TABLE "{t.name}" DROP COLUMN "{col.name}" CASCADE;
            ALTER TABLE "{t.name}" ADD COLUMN "{col.name}" {typ}
                {f"DEFAULT {default}" if default else ""};
            UPDATE "{t.name}" o SET "{col.name}" = s."{col.name}" FROM saved s WHERE {match};
            DROP TABLE saved;""")
        if col.not_null:
            await conn.execute(f'ALTER TABLE "{t.name}" ALTER "{col.name}" SET NOT NULL')


async def reorder(conn: Conn, catalog: cat.Catalog) -> None:
    """The table recreated with its columns in reverse order, its keys and data kept."""
    for t in _tables(catalog):
        cols = ", ".join(f'"{c.name}"' for c in reversed(t.columns))
        await conn.execute(f'ALTER TABLE "{t.name}" RENAME TO evolution_old')
        keys = await conn.fetch(
            """SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
               WHERE conrelid = 'evolution_old'::regclass AND contype IN ('p', 'u')""",
        )
        indexes = await conn.fetch(
            """SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index
               WHERE indrelid = 'evolution_old'::regclass AND indisunique AND NOT EXISTS
                   (SELECT 1 FROM pg_constraint
                    WHERE conindid = indexrelid AND conrelid = indrelid)""",
        )
        await conn.execute(f"""
            CREATE TABLE "{t.name}" AS SELECT {cols} FROM evolution_old;
            DROP TABLE evolution_old CASCADE;""")
        for key in keys:
            await conn.execute(f'ALTER TABLE "{t.name}" ADD CONSTRAINT "{key[0]}" {key[1]}')
        for index in indexes:
            await conn.execute(index[0].replace(" ON public.evolution_old ", f' ON "{t.name}" '))


CHANGES: dict[str, Change] = {
    "add_column": add_column,
    "drop_and_readd": drop_and_readd,
    "reorder": reorder,
}


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project() -> pipeline.Result:
    return _project()


async def _seed(dsn: str) -> None:
    """A row in every table, written by the service through the generated code."""
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        svc = ChatService(Database(pool))
        account = await svc.create_account(name="Acme")
        user = await svc.create_user(
            account_id=account.id, email="ada@example.com", display_name="Ada"
        )
        agent = await svc.create_agent(account_id=account.id, name="analyst")
        await AdminService(svc.db).create_provider(provider="openai", display_name="OpenAI")
        await AdminService(svc.db).create_provider(provider="retired", display_name="Retired")
        await AdminService(svc.db).delete_provider(provider="retired")  # a provider tombstone
        await AdminService(svc.db).create_model_config(
            provider="openai",
            model="gpt",
            display_name="GPT",
            context_limit=8192,
            compression_threshold=70,
            options={"temperature": 0.2},
            is_default=True,
            created_by=user.id,
        )
        chat_id = uuid.uuid4()
        for text in ("hello", "again"):
            sent = await svc.send_message(
                account_id=account.id,
                user_id=user.id,
                agent_id=agent.id,
                chat_id=chat_id,
                client_message_id=uuid.uuid4(),
                content=text,
            )
        await SearchService(svc.db).store_embedding(  # a message embedding (0010)
            account_id=account.id,
            user_id=user.id,
            message_id=sent.message.id,
            vector=[1.0] * EMBEDDING_DIMS,
        )
    finally:
        await pool.close()


@pytest.fixture(params=sorted(CHANGES))
async def evolved(
    request: pytest.FixtureRequest, migrated_db: str, project: pipeline.Result
) -> AsyncIterator[Conn]:
    """The project's database, seeded, after the change named by the parameter; a new
    connection, so no statement prepared before the change is reused."""
    await _seed(migrated_db)
    conn = await asyncpg.connect(migrated_db)
    try:
        async with conn.transaction():
            await CHANGES[request.param](conn, project.catalog)
    finally:
        await conn.close()
    conn = await connect(migrated_db)
    try:
        yield conn
    finally:
        await conn.close()


# -- tests --------------------------------------------------------------------------------


def test_every_query_that_returns_rows_has_a_generated_reader(project: pipeline.Result) -> None:
    expected = {
        a.query.name
        for file in project.files.values()
        for a in file
        if Command(a.query.command).returns_rows
    }
    assert expected
    assert {r.analysis.query.name for r in readers()} == expected


def _server_type(t: Any) -> str:
    name: str = t.name
    return name if t.kind != "array" or name.startswith("_") else "_" + name.removesuffix("[]")


def _described(attrs: Any) -> list[tuple[str, str]]:
    """The server's result columns as it names them (`?column?`, repeats and all: the
    analysis keeps PostgreSQL's names, render makes the Python ones)."""
    return [(a.name, _server_type(a.type)) for a in attrs]


async def test_every_reader_gets_its_own_columns_after_the_change(evolved: Conn) -> None:
    """What the server returns for each function's SQL is exactly, in order, the columns
    the function converts by position."""
    found = readers()
    for reader in found:
        stmt = await evolved.prepare(reader.sql)
        expected = [(c.name, c.type) for c in reader.analysis.columns]
        assert _described(stmt.get_attributes()) == expected, reader.name
    assert found


def _argument(p: analyze.ParamInfo, tables: list[str], live: dict[str, dict[str, Any]]) -> Any:
    """A value for parameter `p` from the seeded rows: the column of that name in the
    tables the query reads, else in any table; else NULL where allowed (a cursor's first
    page), else a value of its type."""
    for table in [*tables, *live]:
        if p.name in live.get(table, {}):
            value = live[table][p.name]
            return [value] if p.is_slice else value
    if p.nullable:
        return None
    fallback = {
        "int8": 1000, "int4": 1000, "bool": False, "text": "", "uuid": uuid.uuid4(),
        "timestamptz": datetime.datetime.now(datetime.UTC),
    }  # fmt: skip
    return fallback[p.type]


async def _rows_of(reader: Reader, conn: Conn, live: dict[str, dict[str, Any]]) -> list[Any]:
    a = reader.analysis
    tables = [a.model] if a.model else []
    tables += [c.origin[0] for c in a.columns if c.origin and c.origin[0] not in tables]
    kwargs = {p.name: _argument(p, tables, live) for p in a.params}
    result = await reader.function(conn, **kwargs)
    rows = result if isinstance(result, list) else [result]
    return [r for r in rows if r is not None]


async def test_readers_return_each_field_s_own_value_after_the_change(
    evolved: Conn, project: pipeline.Result
) -> None:
    """Calling every reading function (SELECT) on the changed tables: each field of a
    table's model holds that table's column of the same name, read by name."""
    live: dict[str, dict[str, Any]] = {}
    for t in _tables(project.catalog):
        row = await evolved.fetchrow(f'SELECT * FROM "{t.name}" LIMIT 1')
        assert row is not None, t.name
        live[t.name] = dict(row)
    checked: set[str] = set()
    for reader in readers():
        if reader.analysis.statement != "select":
            continue  # reading by calling would write; the descriptor test covers them
        model = reader.analysis.model
        for row in await _rows_of(reader, evolved, live):
            if model is None:
                continue
            key = _key(project.catalog.tables[model])
            where = " AND ".join(f'"{c}" = ${i}' for i, c in enumerate(key, 1))
            stored = await evolved.fetchrow(
                f'SELECT * FROM "{model}" WHERE {where}', *(getattr(row, c) for c in key)
            )
            assert stored is not None, reader.name
            assert len(row) == len(row._fields), f"{reader.name}: {len(row)} values"
            assert row._asdict() == {f: stored[f] for f in row._fields}, reader.name
            checked.add(reader.name)
    models = {r.name for r in readers() if r.analysis.model and r.analysis.statement == "select"}
    assert len(checked) * 4 >= len(models) * 3, f"only {sorted(checked)} returned rows"


async def test_a_dropped_column_is_an_error_naming_it(
    migrated_db: str, project: pipeline.Result
) -> None:
    """Contract without expand: the functions that read the column fail, naming it; the
    others keep working."""
    conn = await connect(migrated_db)
    try:
        for t in _tables(project.catalog):
            col = _movable(project.catalog, t)
            await conn.execute(f'ALTER TABLE "{t.name}" DROP COLUMN "{col.name}" CASCADE')
        gone = {(t.name, _movable(project.catalog, t).name) for t in _tables(project.catalog)}
        failed = 0
        for reader in readers():
            reads_gone = any(c.origin in gone for c in reader.analysis.columns)
            try:
                await conn.prepare(reader.sql)
            except asyncpg.UndefinedColumnError as exc:
                assert any(re.search(rf"\b{col}\b", str(exc)) for _, col in gone), exc
                failed += 1
                continue
            assert not reads_gone, f"{reader.name} still prepares without its column"
        assert failed
    finally:
        await conn.close()


# -- the expansion itself, judged by PostgreSQL ---------------------------------------------

SCHEMA = """
CREATE TABLE "Items" ("Id" int PRIMARY KEY, "select" text, label text NOT NULL, "we""ird" int);
CREATE TABLE tags (id int PRIMARY KEY, item_id int REFERENCES "Items", "order" int, label text);
"""

# (query, whether a `*` is left as written: its columns cannot be told apart by name)
STARS = [
    ('SELECT * FROM "Items"', False),
    ('SELECT * FROM "Items" i JOIN tags t ON t.item_id = i."Id"', False),
    ("SELECT * FROM tags JOIN tags AS t2 USING (id)", False),
    ("SELECT * FROM tags NATURAL JOIN tags AS t2", False),
    ('SELECT * FROM tags LEFT JOIN "Items" ON "Id" = item_id', False),
    ("SELECT t.* FROM tags t", False),
    ('SELECT "T".*, 1 AS one FROM tags AS "T"', False),
    ("SELECT *, 1 AS one FROM tags AS x(a, b)", False),
    ("SELECT x.* FROM (SELECT label, label FROM tags) x", True),
    ('SELECT * FROM (tags JOIN "Items" i ON true) AS j', True),
    ("WITH c AS (SELECT * FROM tags) SELECT * FROM c", False),
    ("SELECT * FROM generate_series(1, 3) AS g", False),
    ("SELECT * FROM unnest(ARRAY[1, 2])", False),
    ('SELECT id FROM tags WHERE EXISTS (SELECT * FROM "Items")', False),
    ("SELECT * FROM tags UNION ALL SELECT * FROM tags ORDER BY 1", False),
    ("INSERT INTO tags (id, item_id) VALUES (1, 1) RETURNING *", False),
    (
        "INSERT INTO tags AS t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET label = 'x' "
        "RETURNING *",
        False,
    ),
    ('UPDATE tags SET label = \'x\' FROM "Items" i WHERE i."Id" = item_id RETURNING tags.*', False),
    ('UPDATE tags SET label = \'x\' FROM "Items" i WHERE i."Id" = item_id RETURNING *', False),
    ('DELETE FROM tags USING "Items" WHERE "Id" = item_id RETURNING *', False),
    ('SELECT sqlc.embed(t), i."Id" FROM tags t JOIN "Items" i ON i."Id" = t.item_id', False),
]


@pytest.mark.parametrize(("sql", "kept"), STARS, ids=[q for q, _ in STARS])
async def test_expanded_sql_returns_what_the_star_did(empty_db: str, sql: str, kept: bool) -> None:
    """The SQL sent returns the same columns (names and types, in order) as the SQL as
    written, on the schema it was generated for; a star is only kept where names cannot
    tell its columns apart."""
    catalog = cat.build([("schema/0001.sql", SCHEMA)], analyze.view_columns)
    (query,) = parse.parse_file("queries/q.sql", f"-- name: Q :many\n{sql};\n")
    a = analyze.analyze(query, catalog)
    assert ("*" in a.sql) == kept, a.sql
    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute(SCHEMA)
        written = await conn.prepare(query.sql)
        sent = await conn.prepare(a.sql)
        shape = [(x.name, x.type.oid) for x in written.get_attributes()]
        assert [(x.name, x.type.oid) for x in sent.get_attributes()] == shape, a.sql
        assert len(shape) == len(a.columns)
    finally:
        await conn.close()


def test_star_beside_an_unaliased_subquery_is_kept() -> None:
    """PostgreSQL 16 allows `FROM t, (SELECT ...)`: the subquery's columns have no alias to
    qualify them and bare names could be ambiguous, so the star is sent as written (this
    shape alone is not protected against t's columns moving: give the subquery an alias)."""
    catalog = cat.build([("schema/0001.sql", SCHEMA)], analyze.view_columns)
    sql = "SELECT * FROM tags, (SELECT 1 AS id) ORDER BY 1"
    (query,) = parse.parse_file("queries/q.sql", f"-- name: Q :many\n{sql};\n")
    assert analyze.analyze(query, catalog).sql == sql
