-- name: NewID :one
SELECT uuid_generate_v4() AS id;

-- name: V5 :one
SELECT uuid_generate_v5(uuid_ns_url(), @name) AS id;
