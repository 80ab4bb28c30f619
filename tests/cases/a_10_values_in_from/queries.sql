-- name: Pairs :many
SELECT v.a, v.b FROM (VALUES (1, 'x'), (2, NULL)) AS v(a, b);
