-- name: RefreshLabels :exec
REFRESH MATERIALIZED VIEW item_labels;
