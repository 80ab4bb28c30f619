CREATE TABLE docs (id int PRIMARY KEY, embedding real[] NOT NULL);
CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding);
