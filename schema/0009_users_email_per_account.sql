-- Emails are unique per account, not across all accounts. With one key over every
-- account, creating a user told the caller whether *another* tenant had that address
-- (a Conflict); per account, an address can only collide with the caller's own users.
--
-- Built while the service keeps writing: the new unique index CONCURRENTLY (no write
-- waits for it) and made a constraint with ADD CONSTRAINT ... USING INDEX (a brief
-- lock); then the old key goes. Every statement can run again (a non-transactional
-- migration resumes from the statement it stopped at); the runner drops an INVALID index
-- left by a failed concurrent build before building it again.
-- transactional: false
-- depends: 0008_chat_messages_chat_id_id_idx

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_account_id_email_key
    ON users (account_id, email);

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'users'::regclass AND conname = 'users_account_id_email_key'
    ) THEN
        ALTER TABLE users
            ADD CONSTRAINT users_account_id_email_key UNIQUE USING INDEX users_account_id_email_key;
    END IF;
END
$$;

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key;
