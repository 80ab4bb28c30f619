CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, label text NOT NULL, note text);

ALTER TABLE app.items RENAME TO things;
ALTER TABLE app.things RENAME COLUMN label TO title;
