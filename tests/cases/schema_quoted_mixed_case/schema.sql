CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Orders" ("Id" int PRIMARY KEY, "Total" numeric NOT NULL);
