-- name: ByIdsOrZero :many
SELECT id FROM blobs WHERE id IN (sqlc.slice(ids), 0);
