CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE FUNCTION top_items(n int) RETURNS TABLE (id int, label text) LANGUAGE sql AS 'SELECT id, label FROM items LIMIT n';
CREATE FUNCTION one_item(n int) RETURNS items LANGUAGE sql AS 'SELECT * FROM items WHERE id = n';
CREATE FUNCTION set_items(n int) RETURNS SETOF items LANGUAGE sql AS 'SELECT * FROM items WHERE id > n';
