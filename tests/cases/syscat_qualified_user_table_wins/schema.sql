CREATE SCHEMA app;
CREATE TABLE app.tables (id int PRIMARY KEY, name text NOT NULL);
