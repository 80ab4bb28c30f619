-- name: Sessions :many
SELECT pid, usename, state, query_start FROM pg_stat_activity WHERE datname = current_database();
