-- name: Sorted :many
SELECT sort(xs) AS s FROM t;

-- name: Contains :many
SELECT id FROM t WHERE xs @> @ys::int[];
