CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2));

CREATE FUNCTION top_items(n int) RETURNS TABLE (item_id int, item_label text)
LANGUAGE sql STABLE AS 'SELECT id, label FROM items ORDER BY id LIMIT n';
