-- name: Next :one
SELECT nextval('app.seq') AS n;

-- name: Current :one
SELECT currval('app.seq'::regclass) AS n;
