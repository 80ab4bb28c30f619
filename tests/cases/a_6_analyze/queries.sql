-- name: AnalyzeItems :exec
ANALYZE items;
-- name: AnalyzeAll :exec
ANALYZE;
