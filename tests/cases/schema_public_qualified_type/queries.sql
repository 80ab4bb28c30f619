-- name: ByMood :many
SELECT id FROM public.people WHERE m = @m::public.mood;
