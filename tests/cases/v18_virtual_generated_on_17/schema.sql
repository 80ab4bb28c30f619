CREATE TABLE rooms (name text NOT NULL, name_upper text GENERATED ALWAYS AS (upper(name)) VIRTUAL);
