-- pgvector's vector type as every pgvector since 0.5 has it (16's wheel ships 0.6), with
-- both index kinds. halfvec, sparsevec and bit vectors: ext_pgvector_halfvec_sparsevec_bit.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE docs (
    id bigint PRIMARY KEY,
    tenant uuid NOT NULL,
    embedding vector(3) NOT NULL,
    draft vector(3)
);
CREATE INDEX docs_embedding_hnsw ON docs USING hnsw (embedding vector_cosine_ops)
    WITH (m = 16, ef_construction = 64);
CREATE INDEX docs_embedding_ivf ON docs USING ivfflat (embedding vector_l2_ops) WITH (lists = 100);
CREATE INDEX docs_draft_ip ON docs USING hnsw (draft vector_ip_ops);
