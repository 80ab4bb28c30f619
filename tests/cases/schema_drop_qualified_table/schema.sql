CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, label text NOT NULL, note text);

CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL);
DROP TABLE app.items;
