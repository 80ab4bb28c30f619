-- Least privilege for the chat data layer, part 1 of 2: roles and database rights.
--
-- Run once per database, as a superuser (or a role with CREATEROLE that owns the
-- database), BEFORE the first migration:
--
--     psql "$ADMIN_URL/chatdb" -v ON_ERROR_STOP=1 -f schema_roles/01_roles.sql
--
-- Two roles:
--   chatdb_owner  owns the schema: runs the migrations (python -m codegen.migrate apply)
--                 and so owns every table, index, sequence and yoyo's bookkeeping tables.
--   chatdb_app    what the service connects as: no DDL at all, and only the DML its
--                 queries need (granted table by table in 02_grants.sql).
-- Neither is a superuser, creates databases or roles, replicates or bypasses RLS.
-- Passwords are not set here; set them out of band (\password chatdb_app) or use
-- certificate authentication. Safe to run again.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chatdb_owner') THEN
        CREATE ROLE chatdb_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chatdb_app') THEN
        CREATE ROLE chatdb_app LOGIN;
    END IF;
END
$$;

ALTER ROLE chatdb_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE chatdb_app NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- Only these roles connect; PUBLIC loses CONNECT and TEMP (no temporary tables either).
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format(
        'GRANT CONNECT ON DATABASE %I TO chatdb_owner, chatdb_app', current_database()
    );
END
$$;

-- Only the owner creates objects in the schema (PostgreSQL < 15 lets PUBLIC create).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO chatdb_owner;
GRANT USAGE ON SCHEMA public TO chatdb_app;

-- Extensions the migrations create that only a superuser may (pgvector is not a trusted
-- extension): created here, so the migration's CREATE EXTENSION IF NOT EXISTS, run by
-- chatdb_owner, finds it there (schema/0010_chat_message_embeddings.sql).
CREATE EXTENSION IF NOT EXISTS vector;
