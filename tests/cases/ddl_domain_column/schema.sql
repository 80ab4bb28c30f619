CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE users (id int PRIMARY KEY, mail email NOT NULL, backup email);
