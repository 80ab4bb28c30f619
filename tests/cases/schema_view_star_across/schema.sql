CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, label text NOT NULL);
CREATE VIEW public.item_labels AS SELECT * FROM app.items;
