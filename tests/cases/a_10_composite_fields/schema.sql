CREATE DOMAIN zip_code AS text CHECK (VALUE ~ '^[0-9]{5}$');
CREATE TYPE address AS (city text, zip zip_code, lines text[]);
CREATE TYPE shipping AS (home address, weight numeric(8, 2));
CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);
CREATE TABLE people (
    id int PRIMARY KEY,
    home address NOT NULL,
    parcel shipping,
    fav items
);
CREATE FUNCTION addresses(n int) RETURNS SETOF address
    LANGUAGE sql AS 'SELECT home FROM people WHERE id > n';
ALTER TYPE address ADD ATTRIBUTE country text;
