CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE FUNCTION is_cheap(p numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT p < 10';
