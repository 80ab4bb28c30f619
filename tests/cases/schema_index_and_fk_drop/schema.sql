CREATE SCHEMA app;
CREATE TABLE app.parents (id int PRIMARY KEY);
CREATE TABLE app.children (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES app.parents (id));
CREATE INDEX children_parent_idx ON app.children (parent_id);
DROP TABLE app.parents CASCADE;
