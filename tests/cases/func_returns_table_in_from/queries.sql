-- name: Top :many
SELECT item_id, item_label FROM top_items(@n);

-- name: TopStar :many
SELECT * FROM top_items(10) AS t;
