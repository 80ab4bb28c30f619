CREATE TABLE items (id int PRIMARY KEY, label text, doc xml);
CREATE VIEW w AS SELECT id, xmlelement(name item, xmlattributes(id AS id), label) AS x FROM items;
