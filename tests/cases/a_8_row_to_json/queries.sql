-- name: AsJson :many
SELECT row_to_json(i) AS j FROM items i WHERE i.id = @id;
