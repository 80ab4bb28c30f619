"""A project of its own using pgvector: the generated package types vectors as the runtime
decodes them, passes mypy --strict, and round-trips on a real pgvector server, in both
representations: `list[float]` (the default) and numpy arrays (`vectors = "numpy"`)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import asyncpg
import numpy
import pytest

from codegen import cli
from codegen.errors import CodegenError
from tests.conftest import generated_project, mypy_strict

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE docs (
    id int PRIMARY KEY,
    embedding vector(3) NOT NULL,
    half halfvec(3),
    sparse sparsevec(4)
);
CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding vector_l2_ops);
"""
QUERIES = """
-- name: AddDoc :exec
INSERT INTO docs (id, embedding, half, sparse) VALUES (@id, @embedding, @half, @sparse);

-- name: Nearest :many
SELECT id, embedding, half, sparse, embedding <-> @query AS distance
FROM docs ORDER BY embedding <-> @query LIMIT @k;
"""


def project(tmp_path: Path, module: str, vectors: str | None) -> Path:
    root = generated_project(tmp_path, SCHEMA, QUERIES, module, generate=False)
    if vectors is not None:
        with (root / "pyproject.toml").open("a") as f:
            f.write(f'vectors = "{vectors}"\n')
    assert cli.main(["generate", "--config", str(root / "pyproject.toml")]) == 0
    return root


async def round_trip(root: Path, module: str, dsn: str, monkeypatch: Any) -> list[Any]:
    """Two documents written and searched through the generated package."""
    monkeypatch.syspath_prepend(str(root))
    queries = importlib.import_module(f"{module}_db.{module}")
    runtime = importlib.import_module(f"{module}_db.runtime")
    plain = await asyncpg.connect(dsn)
    await plain.execute(SCHEMA)
    await plain.close()
    conn = await runtime.connect(dsn)
    try:
        sparse = runtime.SparseVector(4, {0: 1.0, 3: -2.5})
        await queries.add_doc(conn, id=1, embedding=[1, 0, 0], half=[0.5, 1, 2], sparse=sparse)
        await queries.add_doc(conn, id=2, embedding=[0, 1, 0], half=None, sparse=None)
        rows: list[Any] = await queries.nearest(conn, query=[0.9, 0.1, 0], k=5)
        return rows
    finally:
        await conn.close()


async def test_lists_by_default(
    tmp_path: Path, empty_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, "vecs", None)
    code = "".join((root / "vecs_db" / n).read_text() for n in ("vecs.py", "models.py"))
    assert "def embedding(self) -> list[float]: ..." in code
    assert "def half(self) -> list[float] | None: ..." in code
    assert "def sparse(self) -> SparseVector | None: ..." in code
    assert "query: VectorParam," in code and "half: VectorParam | None," in code
    check = mypy_strict(root, "vecs_db")
    assert check.returncode == 0, check.stdout + check.stderr
    rows = await round_trip(root, "vecs", empty_db, monkeypatch)
    assert [r.id for r in rows] == [1, 2]
    assert rows[0].embedding == [1.0, 0.0, 0.0] and rows[0].half == [0.5, 1.0, 2.0]
    assert rows[0].sparse.to_list() == [1.0, 0.0, 0.0, -2.5]
    assert rows[1].half is None and rows[1].sparse is None
    assert rows[0].distance == pytest.approx(0.1414213, abs=1e-6)


async def test_numpy_arrays_when_asked(
    tmp_path: Path, empty_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, "nvecs", "numpy")
    code = "".join((root / "nvecs_db" / n).read_text() for n in ("nvecs.py", "models.py"))
    assert "def embedding(self) -> Vector: ..." in code
    assert "def half(self) -> HalfVector | None: ..." in code
    runtime_code = (root / "nvecs_db" / "runtime.py").read_text()
    assert 'Vector: TypeAlias = "numpy.typing.NDArray[numpy.float32]"' in runtime_code
    check = mypy_strict(root, "nvecs_db")
    assert check.returncode == 0, check.stdout + check.stderr
    rows = await round_trip(root, "nvecs", empty_db, monkeypatch)
    embedding, half = rows[0].embedding, rows[0].half
    assert isinstance(embedding, numpy.ndarray) and embedding.dtype == numpy.float32
    assert embedding.tolist() == [1.0, 0.0, 0.0]
    assert half.dtype == numpy.float16 and half.tolist() == [0.5, 1.0, 2.0]
    assert rows[1].embedding.dtype.isnative  # usable as is: native byte order


def test_an_unknown_representation_is_refused(tmp_path: Path) -> None:
    root = generated_project(tmp_path, SCHEMA, QUERIES, "bad", generate=False)
    with (root / "pyproject.toml").open("a") as f:
        f.write('vectors = "torch"\n')
    from codegen import config

    with pytest.raises(CodegenError, match='vectors must be one of "list", "numpy"'):
        config.load(root / "pyproject.toml")
