-- name: Docs :many
SELECT json_build_object('label', label, 'at', at) AS o, jsonb_build_array(n, at) AS a FROM items;
