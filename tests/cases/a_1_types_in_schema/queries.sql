-- name: PeopleInMood :many
SELECT id, mood, score, busy FROM app.people WHERE mood = ANY(@moods::app.mood[]);

-- name: SetMood :exec
UPDATE app.people SET mood = @mood, busy = @busy WHERE id = @id;

-- name: Ranges :one
SELECT range_merge(busy, @other) AS merged, multirange(busy) AS many, '{}'::app.span_multirange AS none
FROM app.people WHERE id = @id;

-- name: Unqualified :many
SELECT id, 'meh'::mood AS public_mood FROM app.people WHERE mood::text = 'sad';

-- name: LowerOfUserRange :one
SELECT lower(@r::app.span) AS lo, upper(multirange(@r::app.span)) AS hi;
