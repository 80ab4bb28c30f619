CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, tags text[] NOT NULL DEFAULT '{}');
CREATE FUNCTION upto(n int) RETURNS SETOF int LANGUAGE sql AS 'SELECT generate_series(1, n)';
CREATE FUNCTION table_args(n int) RETURNS TABLE (id int, label text)
    LANGUAGE sql AS 'SELECT id, label FROM items WHERE id > n';
CREATE FUNCTION later_items(n int) RETURNS SETOF items
    LANGUAGE sql AS 'SELECT * FROM items WHERE id > n';
