CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2));

CREATE FUNCTION priced(min numeric) RETURNS TABLE (id int, price numeric)
LANGUAGE sql AS 'SELECT id, price FROM items WHERE price >= min';
