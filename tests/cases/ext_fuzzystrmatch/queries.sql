-- name: Close :many
SELECT id, levenshtein(name, @q) AS dist, soundex(name) AS sx FROM t;
