-- name: Ids :many
SELECT x FROM item_ids() AS x;
