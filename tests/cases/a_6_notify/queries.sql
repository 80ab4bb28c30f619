-- name: NotifyJobs :exec
NOTIFY jobs, 'ready';
