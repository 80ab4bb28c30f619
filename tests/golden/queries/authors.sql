-- name: CreateAuthor :one
INSERT INTO authors (name, bio, mood, tags, meta)
VALUES (@name, sqlc.narg('bio'), @mood, @tags, sqlc.narg('meta'))
RETURNING *;

-- name: GetAuthor :one
SELECT * FROM authors WHERE id = @id;

-- Authors in one mood, by name.
-- name: ListAuthorsByMood :many
SELECT * FROM authors WHERE mood = @mood ORDER BY name;

-- name: ListAuthorsByIDs :many
SELECT id, name FROM authors WHERE id IN (sqlc.slice(ids)) ORDER BY id;

-- name: ListAuthorsNotIn :many
SELECT id FROM authors WHERE id NOT IN (sqlc.slice(ids)) ORDER BY id;

-- name: SearchAuthors :many
SELECT id, name, mood, tags
FROM authors
WHERE (sqlc.narg('mood')::mood IS NULL OR mood = sqlc.narg('mood'))
  AND tags && @tags::text[]
ORDER BY id
LIMIT @max_rows;

-- name: UpdateAuthorBio :exec
UPDATE authors SET bio = sqlc.narg('bio') WHERE id = @id;

-- name: DeleteAuthor :execrows
DELETE FROM authors WHERE id = @id;

-- Mark every author sad; returns the command status.
-- vet: ignore no-where
-- name: MakeEveryoneSad :execresult
UPDATE authors SET mood = 'sad';

-- name: CountAuthors :one
SELECT count(*) FROM authors;

-- name: AuthorMeta :one
SELECT meta, meta -> 'city' AS city, meta ->> 'city' AS city_text FROM authors WHERE id = @id;

-- name: GetAuthorsBatch :batchone
SELECT * FROM authors WHERE id = @id;

-- name: AuthorStats :many
SELECT * FROM author_stats ORDER BY id;

-- Enum arrays decode element by element.
-- name: MoodsInUse :one
SELECT array_agg(DISTINCT mood ORDER BY mood) AS moods FROM authors WHERE mood <> ALL(@except);

-- COPY with an enum, an array and jsonb: the runtime's codecs must be binary.
-- name: CopyAuthors :copyfrom
INSERT INTO authors (name, mood, tags, meta) VALUES (@name, @mood, @tags, @meta);

-- Each author and how many books they wrote: the row starts with Author's columns, so
-- its class extends Author.
-- name: AuthorsWithBookCount :many
SELECT a.*, count(b.id) AS book_count
FROM authors a
LEFT JOIN books b ON b.author_id = a.id
GROUP BY a.id
ORDER BY a.id;
