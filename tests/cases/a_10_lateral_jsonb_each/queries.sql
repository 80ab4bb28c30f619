-- name: Keys :many
SELECT kv.key, kv.value FROM logs CROSS JOIN LATERAL jsonb_each(logs.doc) AS kv(key, value);
