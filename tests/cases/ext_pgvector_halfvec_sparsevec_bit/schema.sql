CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE items (
    id bigint PRIMARY KEY,
    embedding vector(3) NOT NULL,
    half halfvec(3),
    sparse sparsevec(5),
    bits bit(8) NOT NULL
);
CREATE INDEX items_embedding_hnsw ON items USING hnsw (embedding vector_cosine_ops)
    WITH (m = 16, ef_construction = 64);
CREATE INDEX items_embedding_ivf ON items USING ivfflat (embedding vector_l2_ops) WITH (lists = 100);
CREATE INDEX items_half_hnsw ON items USING hnsw (half halfvec_ip_ops);
CREATE INDEX items_bits_hnsw ON items USING hnsw (bits bit_hamming_ops);
