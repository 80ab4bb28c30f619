CREATE SCHEMA audit;
CREATE TABLE docs (
    id int PRIMARY KEY,
    body text NOT NULL,
    tsv tsvector,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END
$$;
CREATE FUNCTION audit.log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END
$$;
CREATE TRIGGER docs_touch BEFORE UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER docs_audit AFTER INSERT OR UPDATE ON docs FOR EACH ROW EXECUTE PROCEDURE audit.log_change();
-- PostgreSQL's own trigger functions, with arguments given as TG_ARGV
CREATE TRIGGER docs_tsv BEFORE INSERT OR UPDATE ON docs
    FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(tsv, 'pg_catalog.english', body);
CREATE TRIGGER docs_same BEFORE UPDATE ON docs
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
CREATE CONSTRAINT TRIGGER docs_check AFTER INSERT ON docs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION touch();
