-- Authors and their mood (an enum); tags and meta exercise arrays and jsonb.
CREATE TYPE mood AS ENUM ('happy', 'sad');

CREATE TABLE authors (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL,
    bio        text,
    mood       mood        NOT NULL DEFAULT 'happy',
    tags       text[]      NOT NULL DEFAULT '{}',
    meta       jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
