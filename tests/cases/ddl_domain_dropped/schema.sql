CREATE DOMAIN posint AS int;
DROP DOMAIN posint;
CREATE TABLE stock (id int PRIMARY KEY, qty posint);
