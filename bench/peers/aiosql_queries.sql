-- aiosql peer: the same statements as the generated modules (`*` expanded as codegen does),
-- in aiosql's :name parameter style.
-- bench/calls.py checks that each one compiles to the generated module's SQL text.

-- name: get_chat_model_config_by_id(id)^
SELECT
id, provider, model, display_name, created_by, updated_by, enabled, is_default,
    context_limit, compression_threshold, options, deleted, deleted_at,
    created_at, updated_at
FROM
chat_model_configs
WHERE
id = :id::uuid
AND deleted = FALSE;

-- name: list_chat_messages(account_id, chat_id, after_id, page_size)
SELECT id, chat_id, client_message_id, role, content, action, dax_attempts,
    final_dax, resolution_note, error, model_config_id,
    created_at, account_id FROM chat_messages
WHERE account_id = :account_id AND chat_id = :chat_id AND id > :after_id
ORDER BY id ASC
LIMIT :page_size;

-- name: insert_chat_message(account_id, chat_id, client_message_id, role, content, action, dax_attempts, final_dax, resolution_note, error, model_config_id)<!
INSERT INTO chat_messages (
    account_id, chat_id, client_message_id, role, content, action, dax_attempts,
    final_dax, resolution_note, error, model_config_id
) VALUES (
    :account_id, :chat_id, :client_message_id, :role, :content, :action,
    :dax_attempts, :final_dax, :resolution_note,
    :error, :model_config_id
)
ON CONFLICT (account_id, chat_id, client_message_id) DO NOTHING
RETURNING id, chat_id, client_message_id, role, content, action, dax_attempts,
    final_dax, resolution_note, error, model_config_id, created_at, account_id;

-- name: delete_chat_model_config_by_id(id)!
UPDATE
chat_model_configs
SET
deleted = TRUE,
deleted_at = NOW(),
updated_at = NOW()
WHERE
id = :id::uuid;
