CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);

CREATE SCHEMA util;
CREATE FUNCTION util.twice(x int) RETURNS int LANGUAGE sql STRICT AS 'SELECT x * 2';
ALTER FUNCTION util.twice(int) RENAME TO double;
