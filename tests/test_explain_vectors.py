"""`explain`'s generated rows for pgvector columns: a NOT NULL vector, halfvec or sparsevec
column gets a distinct non-zero value per row, the type's dimensions respected (PostgreSQL
checks them), and an HNSW index is built after its table's rows, valid and used."""

from __future__ import annotations

import asyncpg

from codegen.dba import datagen

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE docs (
    id bigint PRIMARY KEY,
    embedding vector(8) NOT NULL,
    half halfvec(4) NOT NULL,
    sparse sparsevec(5) NOT NULL,
    loose vector NOT NULL
);
CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding vector_cosine_ops);
"""


async def test_vector_columns_are_filled_and_their_index_built_after(empty_db: str) -> None:
    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute(SCHEMA)
        tables = await datagen.read_tables(conn)
        await datagen.fill(conn, tables, {"docs": 500})
        dims = await conn.fetchrow(
            "SELECT count(DISTINCT embedding::text) AS distinct_rows,"
            " min(vector_dims(embedding)) AS embedding, min(vector_dims(half)) AS half,"
            " min(vector_dims(loose)) AS loose, min(vector_norm(embedding)) AS smallest,"
            " min(l2_norm(sparse)) AS sparse FROM docs"
        )
        assert dims is not None and dims["distinct_rows"] == 500
        assert (dims["embedding"], dims["half"], dims["loose"]) == (8, 4, 3)
        assert dims["smallest"] > 0 and dims["sparse"] > 0
        valid = await conn.fetchval(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'docs_embedding_idx'::regclass"
        )
        assert valid
        await conn.execute("SET enable_seqscan = off")
        plan = await conn.fetch(
            "EXPLAIN SELECT id FROM docs ORDER BY embedding <=> (SELECT embedding FROM docs"
            " WHERE id = 1) LIMIT 5"
        )
        assert "docs_embedding_idx" in "\n".join(r[0] for r in plan)
    finally:
        await conn.close()
