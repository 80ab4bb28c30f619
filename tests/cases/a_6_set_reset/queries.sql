-- name: SetPath :exec
SET search_path = public;
-- name: SetTimeout :exec
SET LOCAL statement_timeout = '5s';
-- name: ResetPath :exec
RESET search_path;
