"""The replay's dependency rules (`codegen.catalog.depends.RULES`) against PostgreSQL's.

Each case is a migration, one statement a line. It is replayed by the catalog and applied
to a fresh database statement by statement: both must refuse the same statement (the
replay's error at its line, carrying PostgreSQL's message), or both accept the whole
script and then agree on every relation, column and type (`test_catalog_vs_postgresql`'s
comparison) and on the indexes left. Every rule of the table is exercised, with and
without CASCADE where CASCADE applies.
"""

from __future__ import annotations

import asyncpg
import pytest

from codegen.catalog import depends
from codegen.errors import CodegenError
from tests.test_catalog_vs_postgresql import catalog_shape, live_shape, replayed

BASE = """\
CREATE TYPE mood AS ENUM ('a', 'b');
CREATE TABLE t (id int PRIMARY KEY, a int, b text, m mood);
CREATE TABLE c (id int, t_id int REFERENCES t (id));
CREATE VIEW v AS SELECT id, a FROM t WHERE b <> '';
CREATE VIEW w AS SELECT id FROM v;
"""

# case -> statements after BASE; the rules each one exercises are named in the case
CASES: dict[str, str] = {
    "relation/view: drop table a view reads": "DROP TABLE t;",
    "relation/view: cascade drops views and views on them": "DROP TABLE t CASCADE;",
    "relation/view: drop view another view reads": "DROP VIEW v;",
    "relation/view: drop both views at once": "DROP VIEW w, v;",
    "relation/view: drop both, the one read first": "DROP VIEW v, w;",
    "relation/view: matview": "CREATE MATERIALIZED VIEW mv AS SELECT count(*) FROM c;\n"
    "DROP TABLE c;",
    "relation/view: matview cascade": "CREATE MATERIALIZED VIEW mv AS SELECT t_id FROM c;\n"
    "DROP TABLE c CASCADE;",
    "relation/view: count(*) reads no column": "CREATE VIEW n AS SELECT count(*) FROM c;\n"
    "ALTER TABLE c DROP COLUMN t_id;\nDROP TABLE c;",
    "relation/foreign key: referenced table": "DROP VIEW w, v;\nDROP TABLE t;",
    "relation/foreign key: cascade drops the key": "DROP VIEW w, v;\nDROP TABLE t CASCADE;",
    "column/view: drop a column a view selects": "ALTER TABLE t DROP COLUMN a;",
    "column/view: drop a column a view filters on": "ALTER TABLE t DROP COLUMN b;",
    "column/view: cascade": "ALTER TABLE t DROP COLUMN b CASCADE;",
    "column/view: a column no view reads": "ALTER TABLE t DROP COLUMN m;",
    "column/view: star takes every column there is": "CREATE VIEW s AS SELECT * FROM c;\n"
    "ALTER TABLE c ADD COLUMN x int;\nALTER TABLE c DROP COLUMN x;\n"
    "ALTER TABLE c DROP COLUMN t_id;",
    "column/view: whole row": "CREATE VIEW r AS SELECT to_jsonb(c) AS j FROM c;\n"
    "ALTER TABLE c DROP COLUMN t_id;",
    "column/view: renamed column and table": "ALTER TABLE t RENAME COLUMN a TO aa;\n"
    "ALTER TABLE t RENAME TO tt;\nALTER TABLE tt DROP COLUMN aa;",
    "column/view: renamed, then dropped with cascade": "ALTER TABLE t RENAME COLUMN a TO aa;\n"
    "ALTER TABLE t DROP COLUMN aa CASCADE;",
    "column/foreign key: referenced column": "DROP VIEW w, v;\nALTER TABLE t DROP COLUMN id;",
    "column/foreign key: cascade": "DROP VIEW w, v;\nALTER TABLE t DROP COLUMN id CASCADE;",
    "column/index: expression and predicate": "CREATE INDEX t_expr ON t ((a + 1)) WHERE m = 'a';\n"
    "CREATE UNIQUE INDEX t_mb ON t (b) WHERE m IS NOT NULL;\nALTER TABLE t DROP COLUMN m;",
    "column/index: a key column": "CREATE INDEX c_t ON c (t_id, id);\n"
    "ALTER TABLE c DROP COLUMN id;",
    "column type/view: selected": "ALTER TABLE t ALTER COLUMN a TYPE bigint;",
    "column type/view: filtered on": "ALTER TABLE t ALTER COLUMN b TYPE varchar(9);",
    "column type/view: not read": "ALTER TABLE t ALTER COLUMN m TYPE text;",
    "type/column: enum in a table": "DROP TYPE mood;",
    "type/column: cascade drops the column": "DROP TYPE mood CASCADE;",
    "type/column: array of it": "CREATE TABLE ms (x mood[]);\nALTER TABLE t DROP COLUMN m;\n"
    "DROP TYPE mood;",
    "type/view: cast in a view": "ALTER TABLE t DROP COLUMN m;\n"
    "CREATE VIEW k AS SELECT 'a'::mood AS m;\nDROP TYPE mood;",
    "type/view: cascade": "CREATE VIEW k AS SELECT id, m FROM t;\nDROP TYPE mood CASCADE;",
    "type/view: renamed type": "ALTER TABLE t DROP COLUMN m;\n"
    "CREATE VIEW k AS SELECT 'a'::mood AS m;\nALTER TYPE mood RENAME TO feeling;\n"
    "DROP TYPE feeling;",
    "relation/index: a table's indexes go with it": "CREATE INDEX c_t ON c (t_id);\nDROP TABLE c;",
    "relation/partition: dropped with the partitioned table": "CREATE TABLE p (k int UNIQUE) "
    "PARTITION BY LIST (k);\nCREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);\n"
    "CREATE TABLE p2 (k int);\nALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2);\n"
    "DROP TABLE p;",
    "type/column: declared with a domain": "CREATE DOMAIN pos AS int CHECK (VALUE > 0);\n"
    "CREATE TABLE dd (id int, a pos, b pos[]);\nDROP DOMAIN pos;",
    "type/column: a domain, cascade": "CREATE DOMAIN pos AS int CHECK (VALUE > 0);\n"
    "CREATE TABLE dd (id int, a pos);\nALTER DOMAIN pos RENAME TO positive;\n"
    "DROP DOMAIN positive CASCADE;",
    "type/type: a domain over it": "ALTER TABLE t DROP COLUMN m;\nCREATE DOMAIN m2 AS mood;\n"
    "DROP TYPE mood;",
    "type/type: a composite type's field": "ALTER TABLE t DROP COLUMN m;\n"
    "CREATE TYPE pair AS (x int, m mood);\nDROP TYPE mood;",
    "type/type: a range over it": "CREATE DOMAIN d AS float8;\nCREATE TYPE dr AS RANGE "
    "(subtype = d);\nDROP DOMAIN d;",
    "type/type: cascade drops them and their columns": "ALTER TABLE t DROP COLUMN m;\n"
    "CREATE DOMAIN m2 AS mood;\nCREATE TABLE dm (id int, x m2, y mood[]);\n"
    "DROP TYPE mood CASCADE;",
    "type/function: an argument": "ALTER TABLE t DROP COLUMN m;\n"
    "CREATE FUNCTION f(mood) RETURNS int LANGUAGE sql AS 'SELECT 1';\nDROP TYPE mood;",
    "type/function: the result, cascade": "ALTER TABLE t DROP COLUMN m;\n"
    "CREATE FUNCTION g() RETURNS mood LANGUAGE sql AS 'SELECT ''a''::mood';\n"
    "DROP TYPE mood CASCADE;\nCREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1';",
    "type/constructor: a range's go with it": "CREATE TYPE r AS RANGE (subtype = int4);\n"
    "CREATE TYPE q AS RANGE (subtype = date);\nALTER TYPE q RENAME TO qq;\nDROP TYPE r, qq;",
    "column/view: a composite's field a view selects": "CREATE TYPE ad AS (city text, zip int);\n"
    "CREATE TABLE p (id int, h ad);\nCREATE VIEW pc AS SELECT (h).city FROM p;\n"
    "ALTER TYPE ad RENAME ATTRIBUTE city TO town;\nALTER TYPE ad DROP ATTRIBUTE zip;\n"
    "ALTER TYPE ad DROP ATTRIBUTE town;",
    "column/view: a composite's field, cascade": "CREATE TYPE ad AS (city text, zip int);\n"
    "CREATE TABLE p (id int, h ad);\nCREATE VIEW pc AS SELECT (h).city FROM p;\n"
    "ALTER TYPE ad DROP ATTRIBUTE city CASCADE;",
    "column type/view: a composite's field while a table stores it": "CREATE TYPE ad AS "
    "(city text, zip int);\nALTER TYPE ad ALTER ATTRIBUTE zip TYPE int8;\n"
    "CREATE TABLE p (id int, h ad);\nALTER TYPE ad ALTER ATTRIBUTE zip TYPE text;",
    "function/view: a view calls it": "CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql "
    "AS 'SELECT $1 * 2';\nCREATE FUNCTION twice(text) RETURNS text LANGUAGE sql "
    "AS 'SELECT $1 || $1';\nCREATE VIEW tw AS SELECT twice(id) AS x FROM t;\n"
    "DROP FUNCTION twice(text);\nALTER FUNCTION twice(int) RENAME TO double;\n"
    "DROP FUNCTION double(int);",
    "function/view: cascade": "CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql "
    "AS 'SELECT $1 * 2';\nCREATE VIEW tw AS SELECT id FROM t WHERE twice(id) > 2;\n"
    "DROP FUNCTION twice CASCADE;",
    "relation/view: drop schema cascade": "CREATE SCHEMA s;\nCREATE TABLE s.x (id int);\n"
    "CREATE VIEW vx AS SELECT id FROM s.x;\nDROP SCHEMA s CASCADE;",
    "relation/view: renamed view keeps its dependents": "ALTER VIEW v RENAME TO vv;\nDROP VIEW vv;",
    "replace view: drops a column": "CREATE OR REPLACE VIEW v AS SELECT id FROM t;",
    "replace view: renames a column": "CREATE OR REPLACE VIEW v AS SELECT id, a AS x FROM t;",
    "replace view: changes a type": "CREATE OR REPLACE VIEW v AS SELECT id, b AS a FROM t;",
    "replace view: adds a column": "CREATE OR REPLACE VIEW v AS SELECT id, a, b FROM t;",
}

_INDEXES = """
SELECT indexname FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
"""


def test_every_rule_has_cases() -> None:
    """Each rule (what goes / what depends) is exercised by a case named after it."""
    for rule in depends.RULES:
        assert any(c.startswith(f"{rule.target}/{rule.dependent}") for c in CASES), rule


async def _server(dsn: str, statements: list[str]) -> tuple[int, str] | None:
    """The first statement PostgreSQL refuses (its index and message), or None."""
    conn = await asyncpg.connect(dsn)
    try:
        for i, stmt in enumerate(statements):
            try:
                await conn.execute(stmt)
            except asyncpg.PostgresError as exc:
                return i, str(exc).splitlines()[0]
        return None
    finally:
        await conn.close()


@pytest.mark.parametrize("case", list(CASES))
async def test_dependency_rules_agree_with_postgresql(case: str, empty_db: str) -> None:
    sql = BASE + CASES[case] + "\n"
    statements = sql.splitlines()
    theirs = await _server(empty_db, statements)
    try:
        cat = replayed(sql)
    except CodegenError as exc:
        assert exc.location is not None
        ours = (exc.location[1] - 1, exc.message)
        assert theirs is not None, f"PostgreSQL accepts it; the replay says {ours}"
        assert ours[0] == theirs[0], (ours, theirs)
        # the same message, types named as the catalog names them
        said = theirs[1].replace("integer", "int4").replace("bigint", "int8")
        assert said in ours[1], (ours, theirs)
        return
    assert theirs is None, f"the replay accepts it; PostgreSQL says {theirs}"
    assert catalog_shape(cat) == await live_shape(empty_db, "SELECT 1")
    conn = await asyncpg.connect(empty_db)
    try:
        live = {r["indexname"] for r in await conn.fetch(_INDEXES)}
    finally:
        await conn.close()
    assert {i.name for i in cat.indexes} == live
