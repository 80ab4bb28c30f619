-- name: Touch :exec
DO $$BEGIN PERFORM 1; END$$;
