CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, label text NOT NULL);
CREATE TABLE renames (item_id int PRIMARY KEY, new_label text NOT NULL);
