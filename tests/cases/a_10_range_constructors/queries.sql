-- name: Overlapping :many
SELECT id FROM bookings WHERE ids && uuidrange(@lo, @hi);
-- name: Make :one
SELECT uuidrange(@lo::uuid, NULL) AS open_ended, uuidrange(@lo, @hi, '[]') AS closed,
       floatrange(1, 2) AS f, sched.slot(now(), NULL, '[)') AS s;
-- name: Multi :one
SELECT uuidmultirange() AS none, uuidmultirange(uuidrange(@lo::uuid, NULL)) AS one,
       floatmulti(floatrange(1, 2), floatrange(3, 4)) AS two;
-- name: RenamedKeepsItsConstructor :one
SELECT period(current_date, NULL) AS days, period_multirange() AS nothing;
-- name: InSlot :many
SELECT id FROM bookings WHERE at @> @t::timestamptz AND days && period(@from::date, @to::date);
