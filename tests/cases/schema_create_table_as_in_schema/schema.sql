CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, label text NOT NULL, note text);

CREATE TABLE app.snapshot AS SELECT id, label FROM app.items;
