-- name: LockNope :exec
LOCK TABLE nope;
