-- name: Doc :many
SELECT JSON_OBJECT('id': id, 'name': name ABSENT ON NULL RETURNING jsonb) AS doc,
       JSON_ARRAY(name, price NULL ON NULL) AS arr,
       JSON_ARRAY(SELECT i.name FROM items i ORDER BY 1) AS names,
       data::text IS JSON OBJECT WITH UNIQUE KEYS AS is_object,
       name IS NOT JSON SCALAR AS not_scalar
FROM items;

-- name: Aggregated :one
SELECT JSON_OBJECTAGG(name: price RETURNING jsonb) AS by_name,
       JSON_ARRAYAGG(name ORDER BY name) FILTER (WHERE price > @min) AS names
FROM items;
