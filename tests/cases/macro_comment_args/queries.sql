-- name: Find :one
SELECT id, label FROM blobs
WHERE n = sqlc.arg(/* the count */ n) AND label = sqlc /* x */ . narg(label) /* y */ :: text
  AND id >/*c*/@min_id;

-- name: Rename :exec
UPDATE blobs SET label = sqlc.arg(new_label)/*SET*/ WHERE id = sqlc.arg(id)--id
;
