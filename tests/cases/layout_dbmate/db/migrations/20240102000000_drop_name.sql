-- migrate:up
ALTER TABLE authors ADD COLUMN email text NOT NULL DEFAULT '';

-- migrate:down
ALTER TABLE authors DROP COLUMN email;
