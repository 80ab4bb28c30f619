-- name: Recent :many
WITH x AS (SELECT id, label FROM app.items WHERE id > @after)
SELECT label FROM x;
