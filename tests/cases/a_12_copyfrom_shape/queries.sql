-- name: CopyItems :copyfrom
INSERT INTO items (id, label)
VALUES (@id, 'fixed');
