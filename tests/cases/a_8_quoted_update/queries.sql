-- name: Relabel :execrows
UPDATE "Things" SET "Label" = @label WHERE "Id" = @id;
