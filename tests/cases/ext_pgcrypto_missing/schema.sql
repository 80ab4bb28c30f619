CREATE TABLE users (id int PRIMARY KEY, pw text NOT NULL);
