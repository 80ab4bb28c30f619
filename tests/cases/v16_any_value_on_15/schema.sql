CREATE TABLE items (id uuid PRIMARY KEY, name text NOT NULL, price numeric, data jsonb NOT NULL DEFAULT '{}');
