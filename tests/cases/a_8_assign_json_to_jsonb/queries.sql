-- name: Upsert :exec
INSERT INTO logs (item_id, doc) VALUES (@item_id, @doc::json) ON CONFLICT (item_id) DO UPDATE SET doc = '{}'::json;
