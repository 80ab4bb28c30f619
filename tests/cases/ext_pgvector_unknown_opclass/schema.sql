CREATE EXTENSION vector;
CREATE TABLE docs (id int PRIMARY KEY, embedding vector(3) NOT NULL);
CREATE INDEX docs_embedding_idx ON docs USING ivfflat (embedding vector_manhattan_ops);
