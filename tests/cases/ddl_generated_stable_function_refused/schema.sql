CREATE TABLE restaurants (
    id int PRIMARY KEY,
    name text NOT NULL,
    cuisine_tags text[] NOT NULL DEFAULT '{}'
);
-- array_to_string() is STABLE (it formats with the session's settings): PostgreSQL
-- refuses the column, and the table keeps three columns.
ALTER TABLE restaurants ADD COLUMN search_vector tsvector
  GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
    setweight(to_tsvector('english', array_to_string(cuisine_tags, ' ')), 'B')
  ) STORED;
