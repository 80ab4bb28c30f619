-- name: Page :many
SELECT id FROM items ORDER BY id LIMIT @n::numeric OFFSET @skip::int4;

-- name: PageFetch :many
SELECT id FROM items ORDER BY id OFFSET @skip ROWS FETCH FIRST @n ROWS ONLY;
