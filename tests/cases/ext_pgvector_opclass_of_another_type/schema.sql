CREATE EXTENSION vector;
CREATE TABLE docs (id int PRIMARY KEY, embedding halfvec(3) NOT NULL);
CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding vector_cosine_ops);
