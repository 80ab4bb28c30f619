-- depends: 0001_authors
ALTER TABLE authors DROP COLUMN bio;
