-- name: Sessions :many
SELECT id FROM sessions WHERE user_id = @user_id;
