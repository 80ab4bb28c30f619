CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE stock (id int PRIMARY KEY, qty posint NOT NULL);
