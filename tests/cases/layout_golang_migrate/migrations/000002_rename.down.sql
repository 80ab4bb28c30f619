ALTER TABLE authors RENAME COLUMN about TO bio;
