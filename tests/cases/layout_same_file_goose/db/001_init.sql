-- +goose Up
CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);

-- name: Notes :many
SELECT id, body FROM notes;

-- +goose Down
DROP TABLE notes;
