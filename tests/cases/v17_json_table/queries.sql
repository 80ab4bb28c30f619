-- name: Tags :many
SELECT i.id, jt.* FROM items i,
  JSON_TABLE(i.data, '$.tags[*]' PASSING @limit::int AS lim
    COLUMNS (n FOR ORDINALITY, tag text PATH '$.name', score int PATH '$.score' DEFAULT 0 ON EMPTY,
             has_meta bool EXISTS PATH '$.meta', meta jsonb FORMAT JSON PATH '$.meta',
             NESTED PATH '$.aliases[*]' COLUMNS (alias varchar(40) PATH '$'))) AS jt
WHERE i.id = @id;
