-- name: CounterState :one
SELECT last_value, is_called FROM app.counter;

-- name: RenamedState :one
SELECT * FROM app.renamed r;

-- name: NextCounter :one
SELECT nextval('app.counter') AS n, currval('app.counter') AS c;
