-- A function that says nothing about its volatility is VOLATILE; a PL/pgSQL one is
-- called as it is declared (a LANGUAGE sql one would be inlined, its body deciding).
CREATE FUNCTION slugify(t text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN lower(replace(t, ' ', '-'));
END
$$;
CREATE TABLE posts (
    id int PRIMARY KEY,
    title text NOT NULL,
    slug text GENERATED ALWAYS AS (slugify(title)) STORED
);
