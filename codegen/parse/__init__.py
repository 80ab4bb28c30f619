"""Stage 1 — parse: split `queries/*.sql` into named queries and rewrite parameters to `$n`.

Everything here works on PostgreSQL's own scanner and parser (pglast/libpg_query): the
header comments, the statement boundaries and the parameter markers are tokens, never
regular expressions over SQL, so a `@` inside a string literal or a `;` inside a quoted
identifier can't fool it. The only rewriting is the one sqlc does: parameter markers become
`$n` (and `IN (sqlc.slice(x))` becomes `= ANY($n)`); the rest of the statement is kept
byte for byte, so the SQL the DBA reviewed is the SQL the server runs.

Modules: `tokens` (the scanner), `header` (`-- name:` line, doc and vet comments),
`params` (markers and macros, the offset map), `files` (statements of a file), `query`
(the frozen result). Names stay SQL names; Python naming is render's.
"""

from codegen.parse.files import parse_file
from codegen.parse.query import Embed, Param, Query

__all__ = ["Embed", "Param", "Query", "parse_file"]
