-- name: Fields :one
SELECT JSON_VALUE(data, '$.n' RETURNING int) AS n,
       JSON_QUERY(data, '$.tags' WITH WRAPPER) AS tags,
       JSON_EXISTS(data, '$.x') AS has_x,
       JSON_SCALAR(price) AS price_json,
       JSON(@raw::text) AS parsed,
       JSON_SERIALIZE(JSON_OBJECT('a': 1) RETURNING text) AS text_form
FROM items WHERE id = @id;
