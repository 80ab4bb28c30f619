-- Reverses 0009_users_email_per_account: one key over every account's emails again.
-- It fails (and changes nothing) while two accounts have a user with the same address:
-- which of them to delete is not a migration's decision.
--
-- One statement per statement of the forward file, in reverse order (statement k here
-- undoes forward statement n+1-k), as yoyo pairs them; an empty DO block stands where
-- there is nothing to undo.

ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_account_id_email_key;

DROP INDEX CONCURRENTLY IF EXISTS users_account_id_email_key;

-- nothing to undo
DO $$ BEGIN END $$;
