-- name: Cities :many
SELECT id, (home).city, (p.home).zip, (home).lines[1] AS first_line FROM people p;
-- name: Homes :many
SELECT id, (home).* FROM people;
-- name: Nested :many
SELECT (parcel).weight, ((parcel).home).city, (parcel).home.country FROM people;
-- name: NestedStar :many
SELECT ((parcel).home).* FROM people;
-- name: RowTypeField :many
SELECT (fav).label FROM people;
-- name: FunctionField :many
SELECT (addresses(@n)).city;
-- name: FunctionStar :many
SELECT (a).* FROM addresses(@n) AS a;
-- name: ByCity :many
SELECT id FROM people WHERE (home).city = @city;
-- name: FromFunction :many
SELECT * FROM addresses(@n);
-- name: FunctionRow :many
SELECT a FROM addresses(@n) AS a;
