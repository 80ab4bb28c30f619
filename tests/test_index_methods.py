"""CREATE INDEX ... USING replayed as PostgreSQL checks it: the catalog records each
index's access method and operator classes (the review catalog shows them), and an
extension's method (pgvector's hnsw) is known only once the schema creates it. The
refusals, judged by PostgreSQL: tests/cases/ext_pgvector_*."""

from __future__ import annotations

from codegen.catalog import build, migration_files
from tests.conftest import ROOT

SCHEMA = """
CREATE EXTENSION vector;
CREATE TABLE docs (id int PRIMARY KEY, body text, embedding vector(3), half halfvec(3));
CREATE INDEX docs_hnsw ON docs USING hnsw (embedding vector_cosine_ops) WITH (m = 16);
CREATE INDEX docs_ivf ON docs USING ivfflat (embedding) WITH (lists = 10);
CREATE INDEX docs_half ON docs USING hnsw (half halfvec_l2_ops);
CREATE INDEX docs_body ON docs USING gin (to_tsvector('simple', body));
CREATE INDEX docs_id ON docs (id DESC);
"""


def test_each_index_keeps_its_method_and_operator_classes() -> None:
    catalog = build([("0001.sql", SCHEMA)])
    found = {i.name: (i.method, i.opclasses) for i in catalog.indexes if i.table == "docs"}
    assert found["docs_hnsw"] == ("hnsw", ("vector_cosine_ops",))
    assert found["docs_ivf"] == ("ivfflat", ("",))  # ivfflat's default: vector_l2_ops
    assert found["docs_half"] == ("hnsw", ("halfvec_l2_ops",))
    assert found["docs_body"] == ("gin", ("",))
    assert found["docs_id"] == ("btree", ("",))


def test_the_chat_embeddings_index_is_hnsw_by_cosine() -> None:
    catalog = build((p.name, p.read_text()) for p in migration_files(ROOT / "schema"))
    hnsw = [i for i in catalog.indexes if i.method == "hnsw"]
    assert [(i.table, i.columns, i.opclasses) for i in hnsw] == [
        ("chat_message_embeddings", ("embedding",), ("vector_cosine_ops",))
    ]
    review = (ROOT / "docs" / "schema.md").read_text()
    assert "| embedding vector_cosine_ops (hnsw) |" in review
