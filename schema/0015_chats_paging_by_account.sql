-- A user's chats are listed within an account (ListChatsByUser filters on account_id, the
-- distribution key on Citus): the keyset pagination index leads with the account, so
-- both plans page by index; the (user_id, ...) index of 0004 no longer serves a query
-- (the (account_id, user_id) foreign key has 0007's index). Built CONCURRENTLY: no write
-- waits while it builds.
-- transactional: false
-- depends: 0014_ids_per_account

CREATE INDEX CONCURRENTLY IF NOT EXISTS chats_account_id_user_id_last_active_idx
    ON chats (account_id, user_id, last_active DESC, id DESC);

DROP INDEX CONCURRENTLY IF EXISTS chats_user_id_last_active_idx;
