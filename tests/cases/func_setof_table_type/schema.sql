CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2));

CREATE FUNCTION cheap_items() RETURNS SETOF items LANGUAGE sql AS 'SELECT * FROM items WHERE price < 10';
