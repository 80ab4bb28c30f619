CREATE SCHEMA sched;
CREATE TYPE uuidrange AS RANGE (subtype = uuid);
CREATE TYPE floatrange AS RANGE (subtype = float8, multirange_type_name = floatmulti);
CREATE TYPE sched.slot AS RANGE (subtype = timestamptz);
CREATE TYPE scratch AS RANGE (subtype = int4);
DROP TYPE scratch;
CREATE TYPE period AS RANGE (subtype = date);
ALTER TYPE period RENAME TO span;
CREATE TABLE bookings (id int PRIMARY KEY, ids uuidrange NOT NULL, at sched.slot, days span);
