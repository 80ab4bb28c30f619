-- Parameters named like the generated function's locals get a trailing underscore.
-- name: InsertOdd :one
INSERT INTO odd_names (label, "row", "rows", value, status, "count", class)
VALUES (@label, @row, @rows, @value, @status, @count, @class)
RETURNING *;

-- name: GetOddByRow :one
SELECT * FROM odd_names WHERE "row" = @row;

-- name: OddByRows :many
SELECT * FROM odd_names WHERE "rows" = @rows ORDER BY id;

-- name: TouchOdd :execrows
UPDATE odd_names SET value = @value WHERE status = @status;

-- name: OddValue :one
SELECT value FROM odd_names WHERE value = @value;

-- Query names that would be a keyword or shadow a builtin the module uses.
-- name: Class :many
SELECT class FROM odd_names ORDER BY id;

-- name: List :one
SELECT count(*) FROM odd_names;
