-- name: CopyLogs :copyfrom
INSERT INTO logs (item_id, doc, note) VALUES (@item_id, @doc, @note);
