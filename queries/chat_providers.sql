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

-- A deleted provider's name, so that a retried delete reports "already deleted".
-- name: InsertChatProviderTombstone :exec
INSERT INTO chat_provider_tombstones (provider) VALUES (@provider)
ON CONFLICT (provider) DO NOTHING;  -- a provider created again dropped its tombstone

-- name: GetChatProviderTombstone :one
SELECT * FROM chat_provider_tombstones WHERE provider = @provider;

-- A provider created again is no longer deleted.
-- name: DeleteChatProviderTombstone :exec
DELETE FROM chat_provider_tombstones WHERE provider = @provider;
