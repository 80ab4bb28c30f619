-- name: Overlapping :many
SELECT id FROM bookings WHERE room = @room AND during && @during;
