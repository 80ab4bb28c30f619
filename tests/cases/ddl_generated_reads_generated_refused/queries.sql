-- name: Boxes :many
SELECT * FROM boxes;
