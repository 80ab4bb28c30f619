-- name: Days :many
SELECT d::date AS day FROM generate_series(@start::timestamptz, @stop::timestamptz, interval '1 day') AS d;
