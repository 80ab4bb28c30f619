CREATE EXTENSION earthdistance CASCADE;
CREATE TABLE places (id int PRIMARY KEY, lat float8 NOT NULL, lon float8 NOT NULL);
