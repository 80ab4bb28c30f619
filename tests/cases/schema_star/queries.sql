-- name: AllItems :many
SELECT * FROM app.items ORDER BY id;
