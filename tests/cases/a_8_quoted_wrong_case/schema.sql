CREATE TABLE "Things" ("Id" int PRIMARY KEY, "Label" text NOT NULL, plain text);
