CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE SCHEMA util;
CREATE FUNCTION util.twice(x int) RETURNS int LANGUAGE sql AS 'SELECT x * 2';
