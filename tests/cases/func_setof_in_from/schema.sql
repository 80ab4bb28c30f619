CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE FUNCTION item_ids() RETURNS SETOF int LANGUAGE sql AS 'SELECT id FROM items';
