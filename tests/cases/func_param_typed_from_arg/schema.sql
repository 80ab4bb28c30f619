CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');
CREATE FUNCTION slugify(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT lower(t) $$;
