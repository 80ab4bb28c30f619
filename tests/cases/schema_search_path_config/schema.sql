CREATE SCHEMA app;
CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);
CREATE TABLE public.tags (id int PRIMARY KEY, tag text NOT NULL);
