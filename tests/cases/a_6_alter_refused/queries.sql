-- name: AlterIt :exec
ALTER TABLE items ADD COLUMN x int;
