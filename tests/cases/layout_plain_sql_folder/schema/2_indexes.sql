CREATE INDEX authors_name_idx ON authors (name);
