-- name: Size :many
SELECT id, cube_dim(b) AS dim FROM boxes;
