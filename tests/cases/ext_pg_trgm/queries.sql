-- name: Similar :many
SELECT w, similarity(w, @q) AS score FROM words WHERE w % @q ORDER BY score DESC;
