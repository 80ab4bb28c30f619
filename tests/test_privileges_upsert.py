"""The app role's needed privileges (tests/test_security.py derives them from the generated
SQL): INSERT ... ON CONFLICT DO UPDATE needs UPDATE too, as PostgreSQL checks it; DO
NOTHING does not (chatdb's upsert of an embedding, its idempotent message insert)."""

from __future__ import annotations

from tests.test_security import needed_privileges


def test_on_conflict_do_update_needs_update() -> None:
    sql = "INSERT INTO e (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v"
    assert needed_privileges(sql) == {("e", "INSERT"), ("e", "UPDATE"), ("e", "SELECT")}


def test_on_conflict_do_nothing_needs_no_update() -> None:
    sql = "INSERT INTO m (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING id"
    assert needed_privileges(sql) == {("m", "INSERT"), ("m", "SELECT")}
