CREATE EXTENSION hstore;
DROP EXTENSION hstore;
CREATE TABLE docs (id int PRIMARY KEY, attrs hstore);
