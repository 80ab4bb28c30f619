CREATE TABLE src (id int PRIMARY KEY, code text NOT NULL, n int);
CREATE UNIQUE INDEX src_code ON src (code);
CREATE TABLE copy (LIKE src INCLUDING ALL);
