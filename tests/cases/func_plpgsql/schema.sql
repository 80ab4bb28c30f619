CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}');

CREATE FUNCTION price_with_tax(p numeric) RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
  RETURN p * 1.2;
END;
$$;
