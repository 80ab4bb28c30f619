CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE FUNCTION label_of(i items.id%TYPE) RETURNS text LANGUAGE sql AS 'SELECT label FROM items WHERE id = i';
