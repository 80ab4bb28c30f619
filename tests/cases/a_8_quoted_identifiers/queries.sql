-- name: GetThing :one
SELECT "Id", "Label", plain FROM "Things" WHERE "Id" = @id;
