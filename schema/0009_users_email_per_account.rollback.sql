-- Reverses 0009_users_email_per_account: one key over every account's emails again.
-- The index build fails (and the per-account key stays) while two accounts have a user
-- with the same address: which of them to delete is not a migration's decision.
-- Every statement can run again, like the forward file's.

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_constraint WHERE conrelid = 'users'::regclass AND conname = 'users_email_key'
    ) THEN
        ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
    END IF;
END
$$;

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_account_id_email_key;

DROP INDEX CONCURRENTLY IF EXISTS users_account_id_email_key;
