CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, opts text[]) PARTITION BY RANGE (id);
CREATE TABLE items_low PARTITION OF items FOR VALUES FROM (0) TO (100);
CREATE FUNCTION labelled(n int) RETURNS TABLE (id int, label text)
    LANGUAGE sql AS 'SELECT id, label FROM items WHERE id > n';
CREATE FUNCTION pairs(INOUT n int, OUT doubled bigint) RETURNS SETOF record
    LANGUAGE sql AS 'SELECT n, n * 2::bigint';
CREATE FUNCTION stats(OUT total bigint, OUT newest int)
    LANGUAGE sql AS 'SELECT count(*), max(id) FROM items';
