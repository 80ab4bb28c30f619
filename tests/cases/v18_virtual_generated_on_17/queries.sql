-- name: Rooms :many
SELECT name_upper FROM rooms;
