CREATE EXTENSION btree_gin;
CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL);
CREATE INDEX t_n_gin ON t USING gin (n);
