-- Emails are unique per account, not across all accounts. With one key over every
-- account, creating a user told the caller whether *another* tenant had that address
-- (a Conflict); per account, an address can only collide with the caller's own users.
--
-- Built while the service keeps writing: the new unique index CONCURRENTLY (no write
-- waits for it) and made a constraint with ADD CONSTRAINT ... USING INDEX (a brief
-- lock); then the old key goes. An index build that failed half way leaves an invalid
-- index; the DROP ... IF EXISTS before the build removes it when the migration is retried.
-- transactional: false
-- depends: 0008_chat_messages_chat_id_id_idx

DROP INDEX CONCURRENTLY IF EXISTS users_account_id_email_key;

CREATE UNIQUE INDEX CONCURRENTLY users_account_id_email_key ON users (account_id, email);

ALTER TABLE users
    ADD CONSTRAINT users_account_id_email_key UNIQUE USING INDEX users_account_id_email_key;

ALTER TABLE users DROP CONSTRAINT users_email_key;
