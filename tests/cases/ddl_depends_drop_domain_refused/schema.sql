CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TABLE stock (id int PRIMARY KEY, qty positive NOT NULL);
ALTER DOMAIN positive RENAME TO pos;
DROP DOMAIN pos;
