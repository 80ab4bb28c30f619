-- name: LockItems :exec
LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE;
