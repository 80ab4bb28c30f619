-- name: CopyLabels :execrows
CREATE TEMP TABLE picked AS SELECT id, label FROM items WHERE label = @label;
