CREATE FUNCTION slugify(t text) RETURNS text IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    RETURN lower(replace(t, ' ', '-'));
END
$$;
-- Not marked IMMUTABLE, but LANGUAGE sql with one expression: PostgreSQL inlines it and
-- checks its body (lower(), immutable) instead.
CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS $$ SELECT upper(t) || '!' $$;
CREATE TABLE posts (
    id int PRIMARY KEY,
    title text NOT NULL,
    body text,
    price numeric(10, 2) NOT NULL DEFAULT 0,
    qty int NOT NULL DEFAULT 1,
    starts timestamp NOT NULL,
    slug text GENERATED ALWAYS AS (slugify(title)) STORED,
    loud text GENERATED ALWAYS AS (shout(title)) STORED,
    doc tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(body, '')), 'C')
    ) STORED,
    total numeric GENERATED ALWAYS AS (price * qty) STORED,
    ends timestamp GENERATED ALWAYS AS (starts + interval '1 day') STORED
);
ALTER TABLE posts ADD COLUMN title_lower text GENERATED ALWAYS AS (lower(title) || '!') STORED;
