-- name: Total :one
SELECT "Total" FROM "Sales"."Orders" WHERE "Id" = @id;
