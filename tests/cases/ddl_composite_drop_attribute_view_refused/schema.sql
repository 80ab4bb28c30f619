CREATE TYPE address AS (street text, city text);
CREATE TABLE people (id int PRIMARY KEY, home address);
CREATE VIEW towns AS SELECT id, (home).city FROM people;
ALTER TYPE address DROP ATTRIBUTE city;
