CREATE TYPE public.mood AS ENUM ('happy', 'sad');
CREATE TABLE public.people (id int PRIMARY KEY, m public.mood NOT NULL);
