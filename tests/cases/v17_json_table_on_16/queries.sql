-- name: Tags :many
SELECT jt.* FROM items, JSON_TABLE(data, '$.tags[*]' COLUMNS (tag text PATH '$')) AS jt;
