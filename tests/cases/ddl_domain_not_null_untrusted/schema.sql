CREATE DOMAIN posint AS int NOT NULL CHECK (VALUE > 0);
CREATE TABLE stock (id int PRIMARY KEY, qty posint);
