-- name: AddPlace :one
INSERT INTO places (name, location)
VALUES (@name, ST_SetSRID(ST_MakePoint(@lon::float8, @lat::float8), 4326)::geography)
RETURNING id;

-- name: PlacesNear :many
SELECT id, name, ST_Distance(location, ST_MakePoint(@lon::float8, @lat::float8)::geography) AS meters,
       ST_AsGeoJSON(location) AS geojson, ST_X(location::geometry) AS lon
FROM places
WHERE ST_DWithin(location, ST_MakePoint(@lon::float8, @lat::float8)::geography, @radius::float8)
ORDER BY location <-> ST_MakePoint(@lon::float8, @lat::float8)::geography
LIMIT @max;

-- name: PlacesInArea :many
SELECT p.id FROM places p WHERE p.area && ST_MakeEnvelope(@xmin, @ymin, @xmax, @ymax, 4326)
  AND ST_Contains(p.area, ST_GeomFromText(@wkt, 4326));

-- name: SridOf :one
SELECT srid, auth_name FROM spatial_ref_sys WHERE srid = @srid;

-- name: NthPart :one
SELECT ST_GeometryN(location::geometry, @n) AS part, ST_NumGeometries(location::geometry) AS parts
FROM places WHERE id = @id;
