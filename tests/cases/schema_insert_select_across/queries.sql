-- name: ArchiveItem :execrows
INSERT INTO archive.items (id, label) SELECT id, label FROM app.items WHERE id = @id;
