-- name: MakeTable :exec
CREATE TABLE keep (a int);
