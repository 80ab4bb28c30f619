-- name: AppItem :one
SELECT id, label FROM app.items WHERE id = @id;

-- name: PublicItem :one
SELECT id, price FROM items WHERE id = @id;

-- name: PublicQualified :one
SELECT id, price FROM public.items WHERE id = @id;
