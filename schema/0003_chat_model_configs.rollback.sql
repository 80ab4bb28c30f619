-- Reverses 0003_chat_model_configs, in reverse order.

DROP INDEX chat_model_configs_updated_by_idx;

DROP INDEX chat_model_configs_created_by_idx;

DROP INDEX chat_model_configs_provider_idx;

DROP INDEX chat_model_configs_one_default;

DROP TABLE chat_model_configs;
