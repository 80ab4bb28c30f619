-- name: Jobs :many
SELECT id FROM jobs WHERE state = @state;
