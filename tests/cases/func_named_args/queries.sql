-- name: PadNamed :many
SELECT pad(label, fill => @fill) AS p FROM items;

-- name: PadAllNamed :one
SELECT pad(s => @s, n => @n) AS p;
