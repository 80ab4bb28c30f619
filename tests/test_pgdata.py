"""The function catalog's cache (codegen.pgdata): always what the JSON says."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from codegen import pgdata, pgtypes


def fresh_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data" / pgtypes.DATA.name
    data.parent.mkdir()
    shutil.copy(pgtypes.DATA, data)
    return data


def test_cached_rows_are_the_json_rows(tmp_path: Path) -> None:
    data = fresh_copy(tmp_path)
    first = pgdata.load(data)  # parses the JSON and writes the cache
    assert pgdata.cache_path(data, data.read_bytes()).exists()
    assert pgdata.load(data) == first  # from the cache
    raw = json.loads(data.read_text())
    assert first[0] == raw["server_version"]
    assert len(first[2]) == len(raw["functions"]) and len(first[3]) == len(raw["operators"])
    assert {t[0] for t in first[1]} == set(raw["types"])


def test_a_changed_json_is_a_cache_miss(tmp_path: Path) -> None:
    data = fresh_copy(tmp_path)
    pgdata.load(data)
    raw = json.loads(data.read_text())
    raw["server_version"] = "changed"
    raw["functions"] = raw["functions"][:10]
    data.write_text(json.dumps(raw))
    rows = pgdata.load(data)
    assert rows[0] == "changed" and len(rows[2]) == 10


def test_a_corrupt_or_unwritable_cache_is_ignored(tmp_path: Path) -> None:
    data = fresh_copy(tmp_path)
    expected = pgdata.load(data)
    cache = pgdata.cache_path(data, data.read_bytes())
    cache.write_bytes(b"\x00garbage")
    assert pgdata.load(data) == expected
    shutil.rmtree(cache.parent)
    cache.parent.write_text("a file where the cache directory would be")  # cannot write
    assert pgdata.load(data) == expected
