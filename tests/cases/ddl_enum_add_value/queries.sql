-- name: Happy :many
SELECT id FROM people WHERE m = 'happy';

-- name: ByMood :many
SELECT id, m FROM people WHERE m = @m;
