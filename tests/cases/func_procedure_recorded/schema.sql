CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE PROCEDURE reset_prices() LANGUAGE sql AS 'UPDATE items SET price = NULL';
