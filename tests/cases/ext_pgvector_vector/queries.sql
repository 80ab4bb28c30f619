-- name: NearestL2 :many
SELECT id, embedding, embedding <-> @query::vector AS distance
FROM docs WHERE tenant = @tenant ORDER BY embedding <-> @query::vector LIMIT @k;

-- name: NearestCosine :many
SELECT id, embedding <=> @query AS distance FROM docs ORDER BY 2 LIMIT 10;

-- name: NearestInnerProduct :many
SELECT id, (embedding <#> @query) * -1 AS score FROM docs ORDER BY embedding <#> @query LIMIT 10;

-- name: DraftDistance :many
SELECT id, draft <-> @query AS distance FROM docs;

-- name: Functions :one
SELECT l2_distance(embedding, @q) AS l2, cosine_distance(embedding, @q) AS cosine,
       inner_product(embedding, @q) AS ip, l1_distance(embedding, @q) AS l1,
       vector_dims(embedding) AS dims, vector_norm(embedding) AS norm
FROM docs WHERE id = @id;

-- name: Aggregates :one
SELECT avg(embedding) AS mean, sum(embedding) AS total, count(*) AS n FROM docs;

-- name: PerTenantMean :many
SELECT tenant, avg(embedding) AS mean FROM docs GROUP BY tenant;

-- name: Arithmetic :one
SELECT embedding + @a AS plus, embedding - @a AS minus, embedding * @a AS times
FROM docs WHERE id = @id;

-- name: Casts :one
SELECT @arr::real[]::vector AS from_array, embedding::real[] AS to_array,
       '[1,2,3]'::vector(3) AS literal, @numbers::float8[]::vector(3) AS from_doubles
FROM docs WHERE id = @id;

-- name: InsertDoc :exec
INSERT INTO docs (id, tenant, embedding, draft) VALUES (@id, @tenant, @embedding, @draft);

-- name: UpdateEmbedding :execrows
UPDATE docs SET embedding = @embedding WHERE id = @id;
