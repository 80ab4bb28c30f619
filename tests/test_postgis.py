"""PostGIS, the extension real projects use most after contrib's: its types, functions and
operators come from a dump of a real server (`data/pg15/extensions/postgis.json`), loaded when
the schema says CREATE EXTENSION postgis.

PostgreSQL is the judge twice: the generated package runs against a real PostGIS (values
come back as the annotations promise: geometry as its text form, a `str`), and a STRICT
PostGIS function that returns NULL for non-NULL arguments is typed nullable.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.conftest import generated_project, unless_the_embedded_server_lacks_it
from tests.test_conformance import CASES

CASE = CASES / "ext_postgis"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return generated_project(
        tmp_path, (CASE / "schema.sql").read_text(), (CASE / "queries.sql").read_text(), "places"
    )


async def test_round_trip_on_a_real_postgis(
    project: Path, empty_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(project))
    places = importlib.import_module("places_db.places")
    runtime = importlib.import_module("places_db.runtime")
    conn = await runtime.connect(empty_db)
    try:
        with unless_the_embedded_server_lacks_it():
            await conn.execute((CASE / "schema.sql").read_text())
        new_id = await places.add_place(conn, name="Brandenburger Tor", lon=13.3777, lat=52.5163)
        near = await places.places_near(conn, lon=13.38, lat=52.52, radius=1000.0, max=5)
        beyond = await places.nth_part(conn, n=5, id=new_id)
        first = await places.nth_part(conn, n=1, id=new_id)
    finally:
        await conn.close()
    assert [p.name for p in near] == ["Brandenburger Tor"]
    assert near[0].meters is not None and 0 < near[0].meters < 1000
    assert isinstance(near[0].geojson, str) and '"Point"' in near[0].geojson
    # ST_GeometryN is STRICT, yet NULL past the last part: nullable, as generated
    assert beyond is not None and beyond.part is None and beyond.parts == 1
    module = (project / "places_db" / "places.py").read_text()
    assert "def part(self) -> str | None: ..." in module
    assert first is not None and isinstance(first.part, str) and first.part.startswith("0101")
