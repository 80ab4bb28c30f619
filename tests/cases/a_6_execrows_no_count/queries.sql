-- name: TruncRows :execrows
TRUNCATE items;
