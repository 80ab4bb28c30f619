CREATE TYPE period AS RANGE (subtype = date);
ALTER TYPE period RENAME TO span;
