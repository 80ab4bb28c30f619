CREATE FUNCTION active_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM accounts WHERE active $$;
CREATE TABLE accounts (id int PRIMARY KEY, active boolean NOT NULL);
