/* name: CountItems */
SELECT count(*) FROM items;
