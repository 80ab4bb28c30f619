CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');

CREATE FUNCTION describe(x int) RETURNS text LANGUAGE sql AS 'SELECT x::text';
CREATE FUNCTION describe(x text) RETURNS int LANGUAGE sql AS 'SELECT length(x)';
