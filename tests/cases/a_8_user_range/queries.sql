-- name: Span :one
SELECT '[1.5,2)'::floatrange AS r, upper(@r::floatrange) AS hi;
