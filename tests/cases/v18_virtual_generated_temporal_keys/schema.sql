CREATE EXTENSION btree_gist;
CREATE TABLE rooms (
    id int NOT NULL,
    valid tstzrange NOT NULL,
    name text NOT NULL,
    name_upper text GENERATED ALWAYS AS (upper(name)) VIRTUAL,
    PRIMARY KEY (id, valid WITHOUT OVERLAPS)
);
CREATE TABLE bookings (
    room_id int NOT NULL,
    during tstzrange NOT NULL,
    FOREIGN KEY (room_id, PERIOD during) REFERENCES rooms (id, PERIOD valid)
);
