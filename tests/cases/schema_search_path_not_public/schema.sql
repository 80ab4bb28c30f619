CREATE SCHEMA app;
CREATE TABLE public.items (id int PRIMARY KEY);
