-- Reverses 0015_chats_paging_by_account: 0004's paging index by user back, then the
-- account's goes (one rollback statement per forward statement, in reverse order).

CREATE INDEX CONCURRENTLY IF NOT EXISTS chats_user_id_last_active_idx
    ON chats (user_id, last_active DESC, id DESC);

DROP INDEX CONCURRENTLY IF EXISTS chats_account_id_user_id_last_active_idx;
