CREATE TYPE mood AS ENUM ('sad', 'ok');
ALTER TYPE mood ADD VALUE 'happy' AFTER 'ok';
CREATE TABLE people (id int PRIMARY KEY, m mood NOT NULL);
