-- name: Interval :one
SELECT make_interval(secs => @secs) AS i;

-- name: Interval2 :one
SELECT make_interval(days => @days, hours => 2) AS i;
