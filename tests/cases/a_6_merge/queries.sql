-- name: M1 :exec
MERGE INTO users u USING (SELECT @email::text AS email) s ON u.email = s.email
WHEN MATCHED THEN UPDATE SET name = @name
WHEN NOT MATCHED THEN INSERT (email, name) VALUES (s.email, @name);
-- name: M2 :execrows
MERGE INTO users AS u
USING (SELECT unnest(@emails::text[]) AS email, unnest(@scores::numeric[]) AS score) AS s
ON u.email = s.email
WHEN MATCHED AND s.score IS NULL THEN DELETE
WHEN MATCHED THEN UPDATE SET score = s.score, name = COALESCE(u.name, @default_name)
WHEN NOT MATCHED AND s.score > @min THEN INSERT (email, score) VALUES (s.email, s.score)
WHEN NOT MATCHED THEN DO NOTHING;
