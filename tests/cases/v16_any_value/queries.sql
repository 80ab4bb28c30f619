-- name: AnyName :one
SELECT any_value(name) AS name, count(*) FROM items WHERE price > @min;
