CREATE DOMAIN labels AS text[];
CREATE TABLE t (id int PRIMARY KEY, l labels NOT NULL);
