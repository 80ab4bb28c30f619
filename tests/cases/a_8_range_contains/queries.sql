-- name: InRange :many
SELECT id FROM items WHERE numrange(@lo, @hi) @> n;
