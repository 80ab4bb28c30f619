-- name: Jobs :many
SELECT * FROM jobs WHERE status = @status;
-- name: Ledger :many
SELECT * FROM ledger WHERE fts @@ plainto_tsquery('simple', @q);
-- name: Sessions :many
SELECT session_id, count(*) FROM interceptions GROUP BY session_id;
