CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);
CREATE VIEW whole_rows AS SELECT i FROM items i;
CREATE VIEW on_top AS SELECT * FROM whole_rows;
CREATE VIEW fine AS SELECT id, upper(label) AS shout FROM items;
