-- +goose Up
CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
-- +goose StatementBegin
CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.n := NEW.n + 1;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION bump();
DROP TABLE counters;
