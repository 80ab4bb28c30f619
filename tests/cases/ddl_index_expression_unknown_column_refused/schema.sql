CREATE TABLE users (
    id int PRIMARY KEY,
    email text NOT NULL
);
CREATE UNIQUE INDEX users_email_lower ON users (lower(e_mail));
