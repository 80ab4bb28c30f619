DROP TABLE odd_names;
DROP TYPE label;
