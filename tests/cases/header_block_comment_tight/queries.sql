/*name: MaxScore :one*/
SELECT max(score) FROM items;
