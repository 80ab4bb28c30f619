CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, label text NOT NULL, note text);

CREATE VIEW app.labelled AS SELECT id, upper(label) AS shout FROM app.items;
