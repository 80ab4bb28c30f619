-- name: Glued :many
SELECT id FROM blobs WHERE n=@n AND id<>@not_id;

-- name: Positional :many
SELECT id FROM blobs WHERE id > $1::int8 AND label = $2 LIMIT sqlc.arg(lim)::int4;
