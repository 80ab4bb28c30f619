-- name: RoomsAt :many
SELECT id, name_upper FROM rooms WHERE id = @id AND valid @> @at::timestamptz;

-- name: AddRoom :one
INSERT INTO rooms (id, valid, name) VALUES (@id, @valid, @name) RETURNING *;

-- name: Book :exec
INSERT INTO bookings (room_id, during) VALUES (@room_id, @during);
