-- name: Tags :many
SELECT i.id, u.tag FROM items i JOIN unnest(i.tags) AS u(tag) ON true;
-- name: Tags2 :many
SELECT i.id, tag FROM items i, unnest(i.tags) AS tag;
-- name: Tags3 :many
SELECT i.id, u.tag FROM items i LEFT JOIN unnest(i.tags) AS u(tag) ON u.tag <> '';
-- name: Keys :many
SELECT l.id, kv.key FROM logs l JOIN jsonb_each(l.doc) AS kv ON kv.key <> 'x' WHERE l.item_id = @item_id;
-- name: Series :many
SELECT i.id, s.n FROM items i INNER JOIN generate_series(1, i.id) AS s(n) ON s.n > 0;
