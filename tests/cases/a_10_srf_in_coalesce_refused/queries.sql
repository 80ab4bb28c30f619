-- name: Coalesced :many
SELECT coalesce(unnest(tags), label) AS tag FROM items;
