-- name: GetThingFolded :one
SELECT Plain FROM "Things" WHERE "Id" = @id;
