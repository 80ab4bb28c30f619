CREATE TABLE u (id int PRIMARY KEY, email text NOT NULL, deleted bool NOT NULL DEFAULT false);
CREATE UNIQUE INDEX u_email_live ON u (email) WHERE NOT deleted;
CREATE UNIQUE INDEX u_lower ON u (lower(email));
