-- name: GetChatModelConfigByID :one
SELECT
*
FROM
chat_model_configs
WHERE
id = @id::uuid
AND deleted = FALSE;
-- name: GetDefaultChatModelConfig :one
SELECT
*
FROM
chat_model_configs
WHERE
is_default = TRUE
AND deleted = FALSE;
-- name: GetChatModelConfigs :many
SELECT
*
FROM
chat_model_configs
WHERE
deleted = FALSE
ORDER BY
provider ASC,
model ASC,
updated_at DESC,
id DESC;
-- name: GetEnabledChatModelConfigs :many
SELECT
cmc.*
FROM
chat_model_configs cmc
JOIN
chat_providers cp ON cp.provider = cmc.provider
WHERE
cmc.enabled = TRUE
AND cmc.deleted = FALSE
AND cp.enabled = TRUE
ORDER BY
cmc.provider ASC,
cmc.model ASC,
cmc.updated_at DESC,
cmc.id DESC;
-- name: GetEnabledChatModelConfigByID :one
SELECT
cmc.*
FROM
chat_model_configs cmc
-- Providers can be disabled independently of their model configs.
-- Check both to ensure the selected config is actually usable.
JOIN
chat_providers cp ON cp.provider = cmc.provider
WHERE
cmc.id = @id::uuid
AND cmc.deleted = FALSE
AND cmc.enabled = TRUE
AND cp.enabled = TRUE;
-- name: InsertChatModelConfig :one
INSERT INTO chat_model_configs (
provider,
model,
display_name,
created_by,
updated_by,
enabled,
is_default,
context_limit,
compression_threshold,
options
) VALUES (
@provider::text,
@model::text,
@display_name::text,
sqlc.narg('created_by')::uuid,
sqlc.narg('updated_by')::uuid,
@enabled::boolean,
@is_default::boolean,
@context_limit::bigint,
@compression_threshold::integer,
@options::jsonb
)
RETURNING
*;
-- name: UpdateChatModelConfig :one
UPDATE
chat_model_configs
SET
provider = @provider::text,
model = @model::text,
display_name = @display_name::text,
updated_by = sqlc.narg('updated_by')::uuid,
enabled = @enabled::boolean,
is_default = @is_default::boolean,
context_limit = @context_limit::bigint,
compression_threshold = @compression_threshold::integer,
options = @options::jsonb,
updated_at = NOW()
WHERE
id = @id::uuid
AND deleted = FALSE
RETURNING
*;
-- name: UnsetDefaultChatModelConfigs :exec
UPDATE
chat_model_configs
SET
is_default = FALSE,
updated_at = NOW()
WHERE
is_default = TRUE
AND deleted = FALSE;
-- name: DeleteChatModelConfigByID :exec
UPDATE
chat_model_configs
SET
deleted = TRUE,
deleted_at = NOW(),
updated_at = NOW()
WHERE
id = @id::uuid;
-- name: DeleteChatModelConfigsByProvider :exec
UPDATE
chat_model_configs
SET
deleted = TRUE,
deleted_at = NOW(),
updated_at = NOW()
WHERE
provider = @provider::text
AND deleted = FALSE;
-- name: GetChatModelConfigByIDForUpdate :one
SELECT
*
FROM
chat_model_configs
WHERE
id = @id::uuid
AND deleted = FALSE
FOR UPDATE;
-- The first live config in the promotion order: by provider and model, then the most
-- recently updated.
-- name: GetFirstLiveChatModelConfig :one
SELECT
*
FROM
chat_model_configs
WHERE
deleted = FALSE
ORDER BY
provider ASC,
model ASC,
updated_at DESC,
id DESC
LIMIT 1;
-- name: SetDefaultChatModelConfig :execrows
UPDATE
chat_model_configs
SET
is_default = TRUE,
updated_at = NOW()
WHERE
id = @id::uuid
AND deleted = FALSE;
-- Serialises every change of the default model config: at most one live default
-- is also enforced by the unique index chat_model_configs_one_default.
-- name: LockChatModelConfigDefault :exec
SELECT pg_advisory_xact_lock(hashtext('chat_model_configs.is_default'));
-- name: CountLiveChatModelConfigsWithoutProvider :one
SELECT
count(*) AS orphans
FROM
chat_model_configs cmc
LEFT JOIN
chat_providers cp ON cp.provider = cmc.provider
WHERE
cmc.deleted = FALSE
AND cp.id IS NULL;

-- A config by id whether deleted or not: a retried create (same client-chosen id)
-- finds what the first attempt stored.
-- name: GetChatModelConfigByIDAnyState :one
SELECT * FROM chat_model_configs WHERE id = @id::uuid;

-- Like InsertChatModelConfig, with a client-chosen id (NULL: the database picks one).
-- name: InsertChatModelConfigWithID :one
INSERT INTO chat_model_configs (
    id, provider, model, display_name, created_by, updated_by, enabled, is_default,
    context_limit, compression_threshold, options
) VALUES (
    COALESCE(sqlc.narg('id')::uuid, gen_random_uuid()), @provider::text, @model::text,
    @display_name::text, sqlc.narg('created_by')::uuid, sqlc.narg('updated_by')::uuid,
    @enabled::boolean, @is_default::boolean, @context_limit::bigint,
    @compression_threshold::integer, @options::jsonb
)
RETURNING *;

-- The default a new turn may use: live, enabled, and its provider enabled.
-- name: GetUsableDefaultChatModelConfig :one
SELECT cmc.*
FROM chat_model_configs cmc
JOIN chat_providers cp ON cp.provider = cmc.provider
WHERE cmc.is_default = TRUE
  AND cmc.deleted = FALSE
  AND cmc.enabled = TRUE
  AND cp.enabled = TRUE;

-- The deterministic promotion order, among usable configs only: a
-- disabled config, or one of a disabled provider, is never promoted.
-- name: GetFirstUsableChatModelConfig :one
SELECT cmc.*
FROM chat_model_configs cmc
JOIN chat_providers cp ON cp.provider = cmc.provider
WHERE cmc.deleted = FALSE
  AND cmc.enabled = TRUE
  AND cp.enabled = TRUE
ORDER BY cmc.provider ASC, cmc.model ASC, cmc.updated_at DESC, cmc.id DESC
LIMIT 1;

-- The config a new turn of a chat uses, in one query: the chat's own
-- (`own_id`, NULL when it has none) if it is still usable, else the usable default; no
-- row when neither is. Usable: live, enabled, and its provider enabled.
-- name: ResolveChatModelConfig :one
SELECT cmc.*
FROM chat_model_configs cmc
JOIN chat_providers cp ON cp.provider = cmc.provider
WHERE (cmc.id = sqlc.narg('own_id')::uuid OR cmc.is_default = TRUE)
  AND cmc.deleted = FALSE
  AND cmc.enabled = TRUE
  AND cp.enabled = TRUE
ORDER BY cmc.id = sqlc.narg('own_id')::uuid DESC NULLS LAST
LIMIT 1;

-- What a delete did, for its repeat: the default promoted by the transaction whose
-- now() was `at` (the delete's deleted_at; promotion sets updated_at to the same now()),
-- as long as that config has not been changed since.
-- name: GetDefaultChatModelConfigPromotedAt :one
SELECT * FROM chat_model_configs
WHERE is_default = TRUE AND deleted = FALSE AND updated_at = @at::timestamptz;

-- The configs of a provider soft-deleted by the transaction whose now() was `at`.
-- name: CountChatModelConfigsDeletedAt :one
SELECT count(*) AS configs FROM chat_model_configs
WHERE provider = @provider::text AND deleted_at = @at::timestamptz;
