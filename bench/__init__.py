"""Benchmarks of the generated data layer against the tools users would pick instead.

Run everything with ``.venv/bin/python -m bench`` (see bench/README.md). Not part of the
test suite: it needs a PostgreSQL server and takes a few minutes.
"""
