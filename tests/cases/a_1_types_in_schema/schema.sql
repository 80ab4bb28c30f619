CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('happy', 'sad');
CREATE DOMAIN app.score AS numeric(5, 2) CHECK (VALUE >= 0);
CREATE TYPE app.span AS RANGE (subtype = int8);
CREATE TABLE app.people (id int PRIMARY KEY, mood app.mood NOT NULL, score app.score, busy app.span);
CREATE TYPE mood AS ENUM ('meh');
