CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');

CREATE TYPE pair AS (a int, b text);
CREATE FUNCTION make_pair(x int) RETURNS pair LANGUAGE sql AS 'SELECT x, x::text';
