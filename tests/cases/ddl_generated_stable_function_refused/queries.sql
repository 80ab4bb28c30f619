-- name: Restaurants :many
SELECT * FROM restaurants;
