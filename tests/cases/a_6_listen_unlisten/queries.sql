-- name: Listen :exec
LISTEN jobs;
-- name: Unlisten :exec
UNLISTEN jobs;
-- name: UnlistenAll :exec
UNLISTEN *;
