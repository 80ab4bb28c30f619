-- name: Ordinal :many
SELECT t.tag, t.pos FROM items, unnest(items.tags) WITH ORDINALITY AS t(tag, pos);
