CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, label text NOT NULL, note text);

CREATE TABLE orders (id bigint PRIMARY KEY, item_id int REFERENCES app.items (id));
