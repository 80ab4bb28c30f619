CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);
CREATE SCHEMA archive;
ALTER TABLE items SET SCHEMA archive;
