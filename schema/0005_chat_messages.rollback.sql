-- Reverses 0005_chat_messages, in reverse order.

DROP INDEX chat_messages_model_config_id_idx;

DROP TABLE chat_messages;
