CREATE EXTENSION pg_trgm;
CREATE TABLE words (id int PRIMARY KEY, w text NOT NULL);
CREATE INDEX words_trgm ON words USING gin (w gin_trgm_ops);
