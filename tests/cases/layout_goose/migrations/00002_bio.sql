-- +goose Up
-- +goose StatementBegin
ALTER TABLE authors ALTER COLUMN bio SET NOT NULL;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
ALTER TABLE authors ALTER COLUMN bio DROP NOT NULL;
-- +goose StatementEnd
