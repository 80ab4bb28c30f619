-- name: ApplyRenames :execrows
UPDATE app.items AS i SET label = r.new_label FROM renames r WHERE r.item_id = i.id AND i.id > @after;
