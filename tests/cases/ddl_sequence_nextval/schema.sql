CREATE SEQUENCE order_no START 1000;
CREATE TABLE orders (id int PRIMARY KEY, no bigint NOT NULL DEFAULT nextval('order_no'));
