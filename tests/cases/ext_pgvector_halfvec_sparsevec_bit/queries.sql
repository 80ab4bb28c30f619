-- name: NearestL2 :many
SELECT id, embedding, embedding <-> @query::vector AS distance
FROM items ORDER BY embedding <-> @query::vector LIMIT @k;

-- name: NearestCosine :many
SELECT id, embedding <=> @query AS distance FROM items ORDER BY 2 LIMIT 10;

-- name: NearestInnerProduct :many
SELECT id, (embedding <#> @query) * -1 AS score FROM items ORDER BY embedding <#> @query LIMIT 10;

-- name: NearestL1 :many
SELECT id, embedding <+> @query AS distance FROM items ORDER BY 2 LIMIT 10;

-- name: BitDistances :many
SELECT id, bits <~> @other AS hamming, bits <%> @other AS jaccard FROM items;

-- name: Functions :one
SELECT l2_distance(embedding, @q) AS l2, cosine_distance(embedding, @q) AS cosine,
       inner_product(embedding, @q) AS ip, l1_distance(embedding, @q) AS l1,
       vector_dims(embedding) AS dims, vector_norm(embedding) AS norm,
       l2_normalize(embedding) AS unit, subvector(embedding, 1, 2) AS head,
       binary_quantize(embedding) AS quantized
FROM items WHERE id = @id;

-- name: Aggregates :one
SELECT avg(embedding) AS mean, sum(embedding) AS total, avg(half) AS half_mean FROM items;

-- name: Arithmetic :one
SELECT embedding + @a AS plus, embedding - @a AS minus, embedding * @a AS times,
       embedding || @a AS joined FROM items WHERE id = @id;

-- name: HalfAndSparse :one
SELECT half <-> @h AS half_l2, sparse <=> @s AS sparse_cos, l2_norm(sparse) AS sparse_norm,
       vector_dims(half) AS half_dims, half::vector AS widened
FROM items WHERE id = @id;

-- name: Casts :one
SELECT @arr::real[]::vector AS from_array, embedding::real[] AS to_array,
       embedding::halfvec(3) AS narrowed, '[1,2,3]'::vector(3) AS literal,
       embedding::sparsevec AS as_sparse
FROM items WHERE id = @id;

-- name: BitFunctions :one
SELECT hamming_distance(bits, @b) AS hamming, jaccard_distance(bits, @b) AS jaccard
FROM items WHERE id = @id;

-- name: InsertItem :exec
INSERT INTO items (id, embedding, half, sparse, bits) VALUES (@id, @embedding, @half, @sparse, @bits);
