DO $$ BEGIN
 CREATE TYPE "public"."status" AS ENUM('active', 'banned');
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
DO $$ BEGIN
 CREATE TYPE "public"."status" AS ENUM('active', 'banned');
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
CREATE TABLE IF NOT EXISTS "users" ("id" serial PRIMARY KEY NOT NULL, "status" "status" DEFAULT 'active' NOT NULL);
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email') THEN
    ALTER TABLE users ADD COLUMN email text;
  END IF;
END $$;
DO $$ BEGIN
 ALTER TABLE "users" ADD CONSTRAINT "users_email_unique" UNIQUE ("email");
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
