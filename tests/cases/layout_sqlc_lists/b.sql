ALTER TABLE authors ADD COLUMN born date;
