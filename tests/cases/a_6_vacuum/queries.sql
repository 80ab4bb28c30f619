-- name: VacuumItems :exec
VACUUM (ANALYZE) items;
