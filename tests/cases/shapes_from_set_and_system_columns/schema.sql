CREATE TABLE docs (id int PRIMARY KEY, body jsonb NOT NULL, tags text[] NOT NULL, note text);
CREATE TABLE items (id int PRIMARY KEY, a int NOT NULL, b text, c int);
CREATE TABLE empty (id int PRIMARY KEY, a int NOT NULL);
