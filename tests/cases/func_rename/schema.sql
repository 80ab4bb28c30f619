CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');

CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
ALTER FUNCTION f(int) RENAME TO g;
