-- name: Events :many
SELECT id, tenant, at FROM events WHERE tenant = @tenant;
-- name: Logs :many
SELECT line FROM logs WHERE lower(tenant) = @tenant;
