DROP VIEW author_stats;
DROP TABLE books;
