-- name: UpsertLog :one
INSERT INTO logs (item_id, doc) VALUES (@item_id, @doc) ON CONFLICT (item_id) DO UPDATE SET doc = excluded.doc RETURNING id;
