-- name: Days :one
SELECT span(current_date, NULL) AS days;
