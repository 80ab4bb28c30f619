CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE FUNCTION total(VARIADIC xs numeric[]) RETURNS numeric LANGUAGE sql AS 'SELECT sum(x) FROM unnest(xs) x';
