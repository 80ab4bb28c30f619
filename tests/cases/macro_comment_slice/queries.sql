-- name: ByIds :many
SELECT id FROM blobs WHERE id IN (sqlc.slice('ids')/*SLICE:ids*/);

-- name: ByDigests :many
SELECT id FROM blobs WHERE digest IN (sqlc.slice('digests') /*SLICE:digests*/);

-- name: ByLabels :many
SELECT id FROM blobs WHERE label IN ( /* before */ sqlc.slice(labels) -- after
);

-- name: NotNs :many
SELECT id FROM blobs WHERE n NOT /* negated */ IN /* list */ (sqlc /* . */ . /* fn */ slice /* ( */ ( /* name */ ns /* ) */ ) /* end */);

-- name: AnyNs :many
SELECT id FROM blobs WHERE n = ANY(/* all of */ sqlc.slice(ns) /* them */);
