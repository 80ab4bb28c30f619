CREATE TYPE mood AS ENUM ('sad', 'ok');
ALTER TYPE mood RENAME VALUE 'ok' TO 'fine';
CREATE TABLE people (id int PRIMARY KEY, m mood NOT NULL);
