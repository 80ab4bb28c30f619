-- How many items there are.
/* name: CountItems :one */
SELECT count(*) FROM items;
