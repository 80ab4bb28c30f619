-- name: Descendants :many
SELECT id, path FROM tree WHERE path <@ @root;

-- name: Depth :many
SELECT nlevel(path) AS depth FROM tree;
