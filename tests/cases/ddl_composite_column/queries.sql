-- name: Addr :many
SELECT id, addr FROM shops;
