SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
CREATE FUNCTION public.note_len(n text) RETURNS integer
    LANGUAGE sql
    AS $$ SELECT length(n) FROM public.notes LIMIT 1 $$;
CREATE TABLE public.notes (
    id integer NOT NULL,
    body text NOT NULL
);
ALTER TABLE ONLY public.notes
    ADD CONSTRAINT notes_pkey PRIMARY KEY (id);
