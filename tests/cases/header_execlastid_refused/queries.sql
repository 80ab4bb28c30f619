-- name: AddLog :execlastid
INSERT INTO logs (item_id, doc) VALUES (@item_id, @doc);
