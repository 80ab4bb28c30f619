-- name: BooksBy :many
SELECT b.title, a.name FROM books b JOIN authors a ON a.id = b.author_id WHERE a.id = $1;
