CREATE TYPE address AS (street text, city nosuchtype);
