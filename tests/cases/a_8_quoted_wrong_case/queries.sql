-- name: WrongCase :one
SELECT "label" FROM "Things";
