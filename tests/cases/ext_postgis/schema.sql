CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE places (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    location geography(Point, 4326) NOT NULL,
    area geometry(Polygon, 4326)
);
CREATE INDEX places_location_idx ON places USING gist (location);
