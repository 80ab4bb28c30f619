-- name: Delete :many
MERGE INTO items i USING (SELECT @id::uuid AS id) s ON i.id = s.id
WHEN MATCHED THEN DELETE RETURNING merge_action(), i.id;
