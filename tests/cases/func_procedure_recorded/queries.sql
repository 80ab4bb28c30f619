-- name: Labels :many
SELECT label FROM items;
