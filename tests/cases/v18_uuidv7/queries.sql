-- name: NewItem :one
INSERT INTO items (id, name) VALUES (uuidv7(), @name) RETURNING id, uuid_extract_timestamp(id) AS at;
