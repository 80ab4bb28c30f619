CREATE TYPE address AS (street text, zip int);
CREATE TABLE people (id int PRIMARY KEY, home address);
ALTER TYPE address ALTER ATTRIBUTE zip TYPE text;
