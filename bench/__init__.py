"""Benchmarks of the generated data layer against the tools users would pick instead.

Run everything with ``.venv/bin/python -m bench`` (see bench/README.md). Not part of the
test suite: it needs a PostgreSQL server and takes a few minutes.
"""

import sys
from pathlib import Path

# chatdb, what the benchmarks measure, lives in src/: it is this repository's first user of
# the generator, not part of the generator's wheel (pytest finds it the same way).
_SRC = str(Path(__file__).resolve().parent.parent / "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)
