CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE FUNCTION top_items(n int) RETURNS TABLE (id int, label text) LANGUAGE sql AS 'SELECT id, label FROM items LIMIT n';
