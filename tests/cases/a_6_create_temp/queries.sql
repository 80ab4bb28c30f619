-- name: MakeScratch :exec
CREATE TEMP TABLE scratch (a int, b text) ON COMMIT DROP;
