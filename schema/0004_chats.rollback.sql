-- Reverses 0004_chats, in reverse order.

DROP INDEX chats_user_id_last_active_idx;

DROP INDEX chats_model_config_id_idx;

DROP INDEX chats_agent_id_idx;

DROP INDEX chats_account_id_idx;

DROP TABLE chats;
