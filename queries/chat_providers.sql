-- name: InsertChatProvider :one
INSERT INTO chat_providers (provider, display_name, enabled)
VALUES (@provider, @display_name, @enabled)
ON CONFLICT (provider) DO NOTHING
RETURNING *;

-- name: UpdateChatProvider :one
UPDATE chat_providers
SET display_name = @display_name,
    enabled = @enabled,
    updated_at = NOW()
WHERE provider = @provider
RETURNING *;

-- name: GetChatProviders :many
SELECT * FROM chat_providers ORDER BY provider ASC;

-- name: GetChatProviderByProvider :one
SELECT * FROM chat_providers WHERE provider = @provider;

-- Lock the provider row for the rest of the transaction. Creating or updating a model
-- config takes this lock too, so it serialises against a concurrent provider delete.
-- name: GetChatProviderByProviderForUpdate :one
SELECT * FROM chat_providers WHERE provider = @provider FOR UPDATE;

-- name: DeleteChatProvider :execrows
DELETE FROM chat_providers WHERE provider = @provider;
