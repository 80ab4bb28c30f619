CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE people (id int PRIMARY KEY, m mood NOT NULL);
ALTER TYPE mood RENAME TO feeling;
