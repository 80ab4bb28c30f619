CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE FUNCTION pad(s text, n int DEFAULT 10, fill text DEFAULT ' ') RETURNS text LANGUAGE sql AS 'SELECT lpad(s, n, fill)';
