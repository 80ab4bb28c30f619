ALTER TABLE authors RENAME COLUMN bio TO about;
