-- name: Near :many
SELECT id, earth_distance(ll_to_earth(lat, lon), ll_to_earth(@lat, @lon)) AS meters FROM places;
