CREATE TABLE items (
    id int PRIMARY KEY,
    label text NOT NULL,
    price numeric(6, 2)
);
CREATE VIEW priced AS SELECT id, label FROM items WHERE price IS NOT NULL;
ALTER TABLE items ALTER COLUMN label TYPE varchar(40);
