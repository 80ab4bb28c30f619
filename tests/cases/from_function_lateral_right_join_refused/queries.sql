-- name: Tags :many
SELECT i.id, u.tag FROM items i RIGHT JOIN unnest(i.tags) AS u(tag) ON true;
