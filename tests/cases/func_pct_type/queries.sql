-- name: Label :one
SELECT label_of(@id) AS label;
