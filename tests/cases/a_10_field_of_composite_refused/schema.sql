CREATE TYPE address AS (city text, zip text);
CREATE TABLE people (id int PRIMARY KEY, home address);
