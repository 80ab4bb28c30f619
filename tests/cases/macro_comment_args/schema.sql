CREATE TABLE blobs (
    id bigint PRIMARY KEY,
    n int NOT NULL,
    digest bytea NOT NULL,
    label text NOT NULL
);
