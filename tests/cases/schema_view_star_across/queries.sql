-- name: Labels :many
SELECT * FROM item_labels;
