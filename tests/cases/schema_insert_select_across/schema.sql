CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, label text NOT NULL, note text);

CREATE SCHEMA archive;
CREATE TABLE archive.items (id int PRIMARY KEY, label text NOT NULL);
