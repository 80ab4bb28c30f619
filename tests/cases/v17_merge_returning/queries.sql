-- name: Upsert :many
MERGE INTO items i
USING (SELECT @id::uuid AS id, @name::text AS name) s ON i.id = s.id
WHEN MATCHED THEN UPDATE SET name = s.name
WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name)
RETURNING merge_action() AS action, i.*;

-- name: Sync :many
MERGE INTO items i
USING (SELECT unnest(@ids::uuid[]) AS id) s ON i.id = s.id
WHEN NOT MATCHED BY SOURCE THEN DELETE
RETURNING merge_action(), s.id AS kept, i.id;
