-- name: A :many
SELECT x FROM w;
-- name: B :many
SELECT xmlforest(id, label AS name) AS f, xmlconcat(doc, @extra) AS c, doc IS DOCUMENT AS d,
       xmlserialize(content doc AS text) AS s, xmlparse(document @raw) AS p, xmlelement(name foo, @content::text) AS e
FROM items;
