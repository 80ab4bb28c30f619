CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2));

CREATE FUNCTION stats(OUT n bigint, OUT total numeric) LANGUAGE sql AS 'SELECT count(*), sum(price) FROM items';
