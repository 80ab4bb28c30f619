-- name: Subtree :many
WITH RECURSIVE t AS (
    SELECT id, parent_id, name, 0 AS depth FROM nodes WHERE id = @root
    UNION ALL
    SELECT n.id, n.parent_id, n.name, t.depth + 1 FROM nodes n JOIN t ON n.parent_id = t.id
)
SELECT id, parent_id, name, depth FROM t;
